// BertForSequenceClassification as an ONNX graph, with Hugging Face semantics (modeling_bert.py):
// exact erf GELU, LayerNorm eps from config, additive float32-min attention mask, pooler =
// tanh(dense([CLS])), dropout on embeddings / attention probs / sublayer outputs / pooled output,
// mean cross-entropy. The classes mirror HF's modules and declare their parameters where they are
// built, so parameter names (= checkpoint keys) exist in one place.
import type { Batch } from '../../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../../engine/contract.js';
import type { MicroBatch } from '../../engine/feeds.js';
import type { DType } from '../../onnx/dtype.js';
import type { Graph, Value } from '../../onnx/graph.js';
import { intToFloat } from '../../onnx/op-helpers.js';
import type { ModelOptions, SequenceClassifier } from '../family.js';
import { assertShape, Embedding, Emitter, geluFeedForward, LayerNorm, Linear, linearsOn } from '../layers.js';
import { DenseAddNorm } from '../dense-add-norm.js';
import { wordPieceTokenizerConfig } from '../family-common.js';
import { classificationLoss } from '../loss.js';
import { ParamRegistry, type Scope } from '../scope.js';
import type { BertConfig } from './config.js';
import { checkpointConfigJson } from './config.js';
import { bertKeys } from './keys.js';
import { initParam } from './init.js';

/** Hugging Face adds torch.finfo(float32).min to the scores of padded keys. */
export const MASK_VALUE = -3.4028234663852886e38;

export type BertModelOptions = ModelOptions;

class BertEmbeddings {
  readonly word: Embedding;
  readonly position: Embedding;
  readonly tokenType: Embedding;
  readonly norm: LayerNorm;

  constructor(s: Scope, c: BertConfig) {
    this.word = new Embedding(s.child('word_embeddings'), c.vocabSize, c.hiddenSize);
    this.position = new Embedding(s.child('position_embeddings'), c.maxPositions, c.hiddenSize);
    this.tokenType = new Embedding(s.child('token_type_embeddings'), c.typeVocabSize, c.hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), c.hiddenSize, c.layerNormEps);
  }

  /** word + position + token type, normalised, as [batch*seq, hidden]. */
  apply(e: Emitter, ids: Value, idsShape: Value, types: Value, dropout: number): Value {
    const { g } = e;
    const [, T] = ids.shape;
    // Positions are rows 0..T-1 of the table, gathered with Range (no position_ids input); a Slice
    // with a run-time end would do the same forward, but its gradient needs constant bounds.
    const seqLen = g.op('Gather', [idsShape, g.constant('int64', [1], [])]);
    const positions = g.op('Range', [g.constant('int64', [0], []), seqLen, g.constant('int64', [1], [])]);
    const pos = assertShape(this.position.lookup(e, positions), [T, this.norm.dim]);
    const sum = g.op('Add', [g.op('Add', [this.word.lookup(e, ids), pos]), this.tokenType.lookup(e, types)]);
    const x = g.op('Reshape', [sum, g.ints([-1, this.norm.dim])]);
    return e.dropout(this.norm.apply(e, x), dropout);
  }
}

class BertSelfAttention {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(s: Scope, c: BertConfig) {
    const H = c.hiddenSize;
    this.query = new Linear(s.child('query'), H, H);
    this.key = new Linear(s.child('key'), H, H);
    this.value = new Linear(s.child('value'), H, H);
  }
}

class BertLayer {
  readonly self: BertSelfAttention;
  readonly attentionOutput: DenseAddNorm;
  readonly intermediate: Linear;
  readonly output: DenseAddNorm;

  constructor(s: Scope, c: BertConfig) {
    this.self = new BertSelfAttention(s.child('attention').child('self'), c);
    this.attentionOutput = new DenseAddNorm(
      s.child('attention').child('output'),
      c.hiddenSize,
      c.hiddenSize,
      c.layerNormEps,
    );
    this.intermediate = new Linear(s.child('intermediate').child('dense'), c.hiddenSize, c.intermediateSize);
    this.output = new DenseAddNorm(s.child('output'), c.intermediateSize, c.hiddenSize, c.layerNormEps);
  }
}

/** Per-forward values every layer shares: the additive mask and the [B, T, A, D] head shape. */
interface AttentionInputs {
  mask: Value;
  heads4: Value;
  dims: { B: number | string; T: number | string; N: number | string };
}

export class BertModel implements SequenceClassifier {
  readonly architecture = 'BertForSequenceClassification';
  readonly keys = bertKeys;
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'token_type_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'labels', dtype: 'int64', shape: ['batch'] },
  ];
  readonly hiddenDropout: number;
  readonly attentionDropout: number;
  readonly dtype: DType;
  private readonly embeddings: BertEmbeddings;
  private readonly layers: BertLayer[];
  private readonly pooler: Linear;
  private readonly classifier: Linear;

  constructor(
    readonly config: BertConfig,
    readonly numLabels: number,
    private readonly opts: BertModelOptions = {},
  ) {
    this.hiddenDropout = opts.dropout ?? config.hiddenDropout;
    this.attentionDropout = opts.dropout ?? config.attentionDropout;
    this.dtype = opts.dtype ?? 'float32';
    const registry = new ParamRegistry();
    const bert = registry.root().child('bert');
    this.embeddings = new BertEmbeddings(bert.child('embeddings'), config);
    const encoder = bert.child('encoder').child('layer');
    this.layers = Array.from({ length: config.numLayers }, (_, i) => new BertLayer(encoder.child(i), config));
    this.pooler = new Linear(bert.child('pooler').child('dense'), config.hiddenSize, config.hiddenSize);
    this.classifier = new Linear(registry.root().child('classifier'), config.hiddenSize, numLabels);
    this.params = registry.specs;
  }

  feeds(b: Batch, withLabels: boolean): MicroBatch {
    const dims = [b.batchSize, b.seqLen];
    const mb: MicroBatch = {
      input_ids: { data: b.inputIds, dims },
      attention_mask: { data: b.attentionMask, dims },
      token_type_ids: { data: b.tokenTypeIds, dims },
    };
    if (withLabels) mb.labels = { data: b.labels, dims: [b.batchSize] };
    return mb;
  }

  initParam(spec: ParamSpec, seed: number): Float32Array {
    return initParam(spec.name, spec.shape, this.config.initializerRange, seed);
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    return checkpointConfigJson(this.config, labels);
  }

  tokenizerConfig(o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown> {
    return wordPieceTokenizerConfig('BertTokenizer', o, this.config.maxPositions);
  }

  forward(g: Graph, params: Map<string, Value>, batch: Record<string, Value>, opts: ForwardOptions): ForwardOutputs {
    const e = new Emitter(g, params, opts.train, this.dtype, this.opts.seed ?? 0, 'BERT', opts.compute, opts.draw);
    const ids = batch.input_ids,
      mask = batch.attention_mask,
      types = batch.token_type_ids;
    if (!ids || !mask || !types)
      throw new Error('BERT forward: the batch needs input_ids, attention_mask and token_type_ids');
    const c = this.config;
    const H = c.hiddenSize;
    const idsShape = g.op('Shape', [ids]);
    let x = this.embeddings.apply(e, ids, idsShape, types, this.hiddenDropout); // [N, H], N = batch*seq
    const att = this.attentionInputs(e, ids, idsShape, mask, x.shape[0]);
    for (const layer of this.layers) x = this.layer(e, layer, x, att);

    // Pooler on [CLS] (position 0 of each sequence), then the classifier.
    const { B, T } = att.dims;
    const x3 = assertShape(g.op('Reshape', [x, g.op('Concat', [idsShape, g.ints([H])], { axis: 0 })]), [B, T, H]);
    const flat = g.ints([-1, H]);
    const cls = assertShape(g.op('Reshape', [g.op('Slice', [x3, g.ints([0]), g.ints([1]), g.ints([1])]), flat]), [
      B,
      H,
    ]);
    const pooled = e.dropout(g.op('Tanh', [this.pooler.apply(e, cls)]), this.hiddenDropout);
    const logits = e.toFloat32(this.classifier.apply(e, pooled));
    if (!batch.labels) return { logits };
    return { loss: classificationLoss(g, logits, batch.labels), logits };
  }

  /** Additive mask [B, 1, 1, T]: 0 for tokens, float32-min for padding. */
  private attentionInputs(e: Emitter, ids: Value, idsShape: Value, mask: Value, N: number | string): AttentionInputs {
    const { g } = e;
    const [B, T] = ids.shape;
    const maskF = intToFloat(g, mask, this.dtype === 'float64' ? 'float64' : 'float32');
    const inverted = g.op('Sub', [g.scalar(1, maskF), maskF]);
    const ext = g.op('Unsqueeze', [g.op('Mul', [inverted, g.scalar(MASK_VALUE, maskF)]), g.ints([1, 2])]);
    const A = this.config.numHeads;
    const heads4 = g.op('Concat', [idsShape, g.ints([A, this.config.hiddenSize / A])], { axis: 0 });
    return { mask: ext, heads4, dims: { B, T, N } };
  }

  private layer(e: Emitter, l: BertLayer, x: Value, att: AttentionInputs): Value {
    const { g } = e;
    const H = this.config.hiddenSize,
      A = this.config.numHeads,
      D = H / A;
    const { B, T, N } = att.dims;
    const toHeads = (v: Value, perm: number[]) =>
      g.op('Transpose', [assertShape(g.op('Reshape', [v, att.heads4]), [B, T, A, D])], { perm });
    // Query, key and value as one Gemm where the parameters allow (adjacent in the training
    // state); 1/sqrt(D) scales the query: scale * (x Wq^T + bq).
    const [qx, kx, vx] = linearsOn(e, x, [l.self.query, l.self.key, l.self.value], [1 / Math.sqrt(D)]);
    const q = toHeads(qx, [0, 2, 1, 3]); // [B,A,T,D]
    const k = toHeads(kx, [0, 2, 3, 1]); // [B,A,D,T]
    const v = toHeads(vx, [0, 2, 1, 3]); // [B,A,T,D]
    const probs = e.dropout(e.softmax(g.op('MatMul', [q, k]), att.mask), this.attentionDropout);
    const ctx4 = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }); // [B,T,A,D]
    const ctx = assertShape(g.op('Reshape', [ctx4, g.ints([-1, H])]), [N, H]);
    const h = l.attentionOutput.apply(e, ctx, x, this.hiddenDropout);
    return l.output.addNorm(e, geluFeedForward(e, h, l.intermediate, l.output.dense), h, this.hiddenDropout);
  }
}
