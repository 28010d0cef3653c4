// RobertaForSequenceClassification (also XLM-RoBERTa) as an ONNX graph, with Hugging Face's
// semantics (modeling_roberta.py): BERT's encoder, but positions numbered from the input ids
// (pad_token_id + 1, + 2, ... over non-pad tokens; pads get pad_token_id), padding_idx on the word
// and position tables (pad rows get no gradient), and a classification head on <s>:
// dropout -> dense -> tanh -> dropout -> out_proj. No pooler.
import type { Batch } from '../../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../../engine/contract.js';
import type { MicroBatch } from '../../engine/feeds.js';
import type { DType } from '../../onnx/dtype.js';
import type { Graph, Value } from '../../onnx/graph.js';
import { activation } from '../activations.js';
import { attend, firstToken, headLayout, keyPaddingBias, toHeads, type HeadLayout } from '../attention.js';
import { initEncoderParam } from '../encoder-init.js';
import { encoderCheckpointConfig, encoderFeeds } from '../family-common.js';
import type { ModelOptions, SequenceClassifier } from '../family.js';
import { Embedding, Emitter, geluFeedForward, LayerNorm, Linear } from '../layers.js';
import { DenseAddNorm } from '../dense-add-norm.js';
import { classificationLoss } from '../loss.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import { ParamRegistry, type Scope } from '../scope.js';
import type { RobertaConfig } from './config.js';
import { robertaKeys } from './keys.js';

class RobertaEmbeddings {
  readonly word: PaddingIdxEmbedding;
  readonly position: PaddingIdxEmbedding;
  readonly tokenType: Embedding;
  readonly norm: LayerNorm;

  constructor(s: Scope, c: RobertaConfig) {
    this.word = new PaddingIdxEmbedding(s.child('word_embeddings'), c.vocabSize, c.hiddenSize);
    this.position = new PaddingIdxEmbedding(s.child('position_embeddings'), c.positionRows, c.hiddenSize);
    this.tokenType = new Embedding(s.child('token_type_embeddings'), c.typeVocabSize, c.hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), c.hiddenSize, c.layerNormEps);
  }
}

class RobertaLayer {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: DenseAddNorm;
  readonly intermediate: Linear;
  readonly output: DenseAddNorm;

  constructor(s: Scope, c: RobertaConfig) {
    const H = c.hiddenSize;
    const self = s.child('attention').child('self');
    this.query = new Linear(self.child('query'), H, H);
    this.key = new Linear(self.child('key'), H, H);
    this.value = new Linear(self.child('value'), H, H);
    this.attentionOutput = new DenseAddNorm(s.child('attention').child('output'), H, c.hiddenSize, c.layerNormEps);
    this.intermediate = new Linear(s.child('intermediate').child('dense'), H, c.intermediateSize);
    this.output = new DenseAddNorm(s.child('output'), c.intermediateSize, c.hiddenSize, c.layerNormEps);
  }
}

export class RobertaModel implements SequenceClassifier {
  readonly architecture: string;
  readonly keys = robertaKeys;
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[];
  readonly dtype: DType;
  private readonly hiddenDropout: number;
  private readonly attentionDropout: number;
  private readonly classifierDropout: number;
  private readonly embeddings: RobertaEmbeddings;
  private readonly layers: RobertaLayer[];
  private readonly dense: Linear;
  private readonly outProj: Linear;

  constructor(
    readonly config: RobertaConfig,
    readonly numLabels: number,
    private readonly opts: ModelOptions = {},
  ) {
    this.architecture =
      config.modelType === 'xlm-roberta' ? 'XLMRobertaForSequenceClassification' : 'RobertaForSequenceClassification';
    this.hiddenDropout = opts.dropout ?? config.hiddenDropout;
    this.attentionDropout = opts.dropout ?? config.attentionDropout;
    this.classifierDropout = opts.dropout ?? config.classifierDropout;
    this.dtype = opts.dtype ?? 'float32';
    const seq = (name: string): BatchInputSpec => ({ name, dtype: 'int64', shape: ['batch', 'seq'] });
    // roberta-base and xlm-roberta have one token type: then it is a constant row, not an input.
    this.batchInputs = [
      seq('input_ids'),
      seq('attention_mask'),
      ...(config.typeVocabSize > 1 ? [seq('token_type_ids')] : []),
      { name: 'labels', dtype: 'int64', shape: ['batch'] },
    ];
    const registry = new ParamRegistry();
    const roberta = registry.root().child('roberta');
    this.embeddings = new RobertaEmbeddings(roberta.child('embeddings'), config);
    const encoder = roberta.child('encoder').child('layer');
    this.layers = Array.from({ length: config.numLayers }, (_, i) => new RobertaLayer(encoder.child(i), config));
    const head = registry.root().child('classifier');
    this.dense = new Linear(head.child('dense'), config.hiddenSize, config.hiddenSize);
    this.outProj = new Linear(head.child('out_proj'), config.hiddenSize, numLabels);
    this.params = registry.specs;
  }

  feeds(b: Batch, withLabels: boolean): MicroBatch {
    return encoderFeeds(b, withLabels, {
      model: this.architecture,
      maxPositions: this.config.maxPositions,
      vocabSize: this.config.vocabSize,
      tokenTypes: { typeVocabSize: this.config.typeVocabSize, feed: this.config.typeVocabSize > 1 },
    });
  }

  initParam(spec: ParamSpec, seed: number): Float32Array {
    const padded = spec.name.endsWith('word_embeddings.weight') || spec.name.endsWith('position_embeddings.weight');
    return initEncoderParam(spec, seed, {
      std: this.config.initializerRange,
      zeroRows: padded ? [this.config.padTokenId] : [],
    });
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    return encoderCheckpointConfig(this.config, this.architecture, labels);
  }

  tokenizerConfig(o: { maxLength?: number }): Record<string, unknown> {
    return {
      tokenizer_class: this.config.modelType === 'xlm-roberta' ? 'XLMRobertaTokenizer' : 'RobertaTokenizer',
      bos_token: '<s>',
      eos_token: '</s>',
      sep_token: '</s>',
      cls_token: '<s>',
      unk_token: '<unk>',
      pad_token: '<pad>',
      mask_token: '<mask>',
      model_max_length: o.maxLength ?? this.config.maxPositions,
    };
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
    let x = this.embed(e, ids, batch.token_type_ids);
    const L = headLayout(g, ids, c.numHeads, c.hiddenSize, x.shape[0]);
    const bias = keyPaddingBias(e, mask, this.dtype);
    for (const layer of this.layers) x = this.layer(e, layer, x, bias, L);
    const cls = e.dropout(firstToken(e, x, L), this.classifierDropout);
    const h = e.dropout(g.op('Tanh', [this.dense.apply(e, cls)]), this.classifierDropout);
    const logits = e.toFloat32(this.outProj.apply(e, h));
    if (!batch.labels) return { logits };
    return { loss: classificationLoss(g, logits, batch.labels), logits };
  }

  /** (word + token type) + position, normalised: [B*T, H]. */
  private embed(e: Emitter, ids: Value, types: Value | undefined): Value {
    const { g } = e;
    const c = this.config;
    const emb = this.embeddings;
    const pad = g.constant('int64', [c.padTokenId], []);
    const isPad = g.op('Equal', [ids, pad]);
    const keep = g.op('Cast', [g.op('Not', [isPad])], { to: 7 });
    // create_position_ids_from_input_ids: pad+1, pad+2, ... over non-pad tokens, pad on pad tokens.
    const positions = g.op('Add', [g.op('Mul', [g.op('CumSum', [keep, g.constant('int64', [1], [])]), keep]), pad]);
    const word = emb.word.lookupPadded(e, ids, isPad);
    // One token type (or none fed): row 0 of the table, broadcast over every token.
    const type = types ? emb.tokenType.lookup(e, types) : emb.tokenType.lookup(e, g.constant('int64', [0], [1]));
    const sum = g.op('Add', [g.op('Add', [word, type]), emb.position.lookupPadded(e, positions, isPad)]);
    const H = c.hiddenSize;
    const x = g.op('Reshape', [sum, g.ints([-1, H])]);
    return e.dropout(emb.norm.apply(e, x), this.hiddenDropout);
  }

  private layer(e: Emitter, l: RobertaLayer, x: Value, bias: Value, L: HeadLayout): Value {
    const s = 1 / Math.sqrt(L.D);
    const q = toHeads(e, l.query.apply(e, x, s, s), L, [0, 2, 1, 3]); // scale folded into the Gemm
    const k = toHeads(e, l.key.apply(e, x), L, [0, 2, 3, 1]);
    const v = toHeads(e, l.value.apply(e, x), L, [0, 2, 1, 3]);
    const ctx = attend(e, q, k, v, bias, this.attentionDropout, L);
    const h = l.attentionOutput.apply(e, ctx, x, this.hiddenDropout);
    const ff =
      this.config.hiddenAct === 'gelu'
        ? geluFeedForward(e, h, l.intermediate, l.output.dense)
        : l.output.dense.apply(e, activation(e, this.config.hiddenAct, l.intermediate.apply(e, h)));
    return l.output.addNorm(e, ff, h, this.hiddenDropout);
  }
}
