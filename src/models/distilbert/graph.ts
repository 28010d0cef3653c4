// DistilBertForSequenceClassification as an ONNX graph, with Hugging Face's semantics
// (modeling_distilbert.py): word (padding_idx) + learned position embeddings, LayerNorm eps 1e-12,
// post-norm blocks whose attention output has no dropout of its own, and a head on [CLS]:
// pre_classifier -> ReLU -> dropout -> classifier. No token types.
import type { Batch } from '../../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../../engine/contract.js';
import type { MicroBatch } from '../../engine/feeds.js';
import type { DType } from '../../onnx/dtype.js';
import type { Graph, Value } from '../../onnx/graph.js';
import { activation } from '../activations.js';
import { attend, firstToken, headLayout, keyPaddingBias, toHeads, type HeadLayout } from '../attention.js';
import { initEncoderParam } from '../encoder-init.js';
import { encoderCheckpointConfig, encoderFeeds, wordPieceTokenizerConfig } from '../family-common.js';
import type { ModelOptions, SequenceClassifier } from '../family.js';
import { assertShape, Embedding, Emitter, geluFeedForward, LayerNorm, Linear } from '../layers.js';
import { classificationLoss } from '../loss.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import { ParamRegistry, type Scope } from '../scope.js';
import type { DistilBertConfig } from './config.js';
import { distilbertKeys } from './keys.js';

/** DistilBERT's LayerNorms use a fixed eps (not in the config). */
const LN_EPS = 1e-12;

class TransformerBlock {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly saNorm: LayerNorm;
  readonly lin1: Linear;
  readonly lin2: Linear;
  readonly outputNorm: LayerNorm;

  constructor(s: Scope, c: DistilBertConfig) {
    const D = c.dim;
    const att = s.child('attention');
    this.q = new Linear(att.child('q_lin'), D, D);
    this.k = new Linear(att.child('k_lin'), D, D);
    this.v = new Linear(att.child('v_lin'), D, D);
    this.out = new Linear(att.child('out_lin'), D, D);
    this.saNorm = new LayerNorm(s.child('sa_layer_norm'), D, LN_EPS);
    this.lin1 = new Linear(s.child('ffn').child('lin1'), D, c.hiddenDim);
    this.lin2 = new Linear(s.child('ffn').child('lin2'), c.hiddenDim, D);
    this.outputNorm = new LayerNorm(s.child('output_layer_norm'), D, LN_EPS);
  }
}

export class DistilBertModel implements SequenceClassifier {
  readonly architecture = 'DistilBertForSequenceClassification';
  readonly keys = distilbertKeys;
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'labels', dtype: 'int64', shape: ['batch'] },
  ];
  readonly dtype: DType;
  private readonly dropout: number;
  private readonly attentionDropout: number;
  private readonly classifierDropout: number;
  private readonly word: PaddingIdxEmbedding;
  private readonly position: Embedding;
  private readonly embNorm: LayerNorm;
  private readonly layers: TransformerBlock[];
  private readonly preClassifier: Linear;
  private readonly classifier: Linear;

  constructor(
    readonly config: DistilBertConfig,
    readonly numLabels: number,
    private readonly opts: ModelOptions = {},
  ) {
    this.dropout = opts.dropout ?? config.dropout;
    this.attentionDropout = opts.dropout ?? config.attentionDropout;
    this.classifierDropout = opts.dropout ?? config.seqClassifDropout;
    this.dtype = opts.dtype ?? 'float32';
    const registry = new ParamRegistry();
    const root = registry.root();
    const emb = root.child('distilbert').child('embeddings');
    this.word = new PaddingIdxEmbedding(emb.child('word_embeddings'), config.vocabSize, config.dim);
    this.position = new Embedding(emb.child('position_embeddings'), config.maxPositions, config.dim);
    this.embNorm = new LayerNorm(emb.child('LayerNorm'), config.dim, LN_EPS);
    const layer = root.child('distilbert').child('transformer').child('layer');
    this.layers = Array.from({ length: config.numLayers }, (_, i) => new TransformerBlock(layer.child(i), config));
    this.preClassifier = new Linear(root.child('pre_classifier'), config.dim, config.dim);
    this.classifier = new Linear(root.child('classifier'), config.dim, numLabels);
    this.params = registry.specs;
  }

  feeds(b: Batch, withLabels: boolean): MicroBatch {
    return encoderFeeds(b, withLabels, {
      model: this.architecture,
      maxPositions: this.config.maxPositions,
      vocabSize: this.config.vocabSize,
    });
  }

  initParam(spec: ParamSpec, seed: number): Float32Array {
    return initEncoderParam(spec, seed, {
      std: this.config.initializerRange,
      zeroRows: spec.name.endsWith('word_embeddings.weight') ? [this.config.padTokenId] : [],
    });
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    return encoderCheckpointConfig(this.config, this.architecture, labels);
  }

  tokenizerConfig(o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown> {
    return wordPieceTokenizerConfig('DistilBertTokenizer', o, this.config.maxPositions);
  }

  forward(g: Graph, params: Map<string, Value>, batch: Record<string, Value>, opts: ForwardOptions): ForwardOutputs {
    const e = new Emitter(
      g,
      params,
      opts.train,
      this.dtype,
      this.opts.seed ?? 0,
      this.architecture,
      opts.compute,
      opts.draw,
    );
    const { input_ids: ids, attention_mask: mask } = batch;
    if (!ids || !mask) throw new Error(`${this.architecture} forward: the batch needs input_ids and attention_mask`);
    const c = this.config;
    let x = this.embed(e, ids);
    const L = headLayout(g, ids, c.numHeads, c.dim, x.shape[0]);
    const bias = keyPaddingBias(e, mask, this.dtype);
    for (const layer of this.layers) x = this.layer(e, layer, x, bias, L);
    const h = e.dropout(g.op('Relu', [this.preClassifier.apply(e, firstToken(e, x, L))]), this.classifierDropout);
    const logits = e.toFloat32(this.classifier.apply(e, h));
    if (!batch.labels) return { logits };
    return { loss: classificationLoss(g, logits, batch.labels), logits };
  }

  /** word + position (rows 0..T-1), normalised: [B*T, dim]. */
  private embed(e: Emitter, ids: Value): Value {
    const { g } = e;
    const D = this.config.dim;
    const isPad = g.op('Equal', [ids, g.constant('int64', [this.config.padTokenId], [])]);
    // Rows 0..T-1 gathered with Range (Slice with a run-time end has no gradient with constant bounds).
    const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.constant('int64', [1], [])]);
    const positions = g.op('Range', [g.constant('int64', [0], []), seqLen, g.constant('int64', [1], [])]);
    const pos = assertShape(this.position.lookup(e, positions), [ids.shape[1], D]);
    const sum = g.op('Add', [this.word.lookupPadded(e, ids, isPad), pos]);
    const x = g.op('Reshape', [sum, g.ints([-1, D])]);
    return e.dropout(this.embNorm.apply(e, x), this.dropout);
  }

  private layer(e: Emitter, l: TransformerBlock, x: Value, bias: Value, L: HeadLayout): Value {
    const { g } = e;
    const s = 1 / Math.sqrt(L.D);
    const q = toHeads(e, l.q.apply(e, x, s, s), L, [0, 2, 1, 3]);
    const k = toHeads(e, l.k.apply(e, x), L, [0, 2, 3, 1]);
    const v = toHeads(e, l.v.apply(e, x), L, [0, 2, 1, 3]);
    const ctx = attend(e, q, k, v, bias, this.attentionDropout, L);
    const sa = l.saNorm.apply(e, g.op('Add', [l.out.apply(e, ctx), x]));
    const ff =
      this.config.activation === 'gelu'
        ? geluFeedForward(e, sa, l.lin1, l.lin2)
        : l.lin2.apply(e, activation(e, this.config.activation, l.lin1.apply(e, sa)));
    return l.outputNorm.apply(e, g.op('Add', [e.dropout(ff, this.dropout), sa]));
  }
}
