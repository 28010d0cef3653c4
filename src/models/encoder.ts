// The one frame every family's classifier is: embeddings -> layers (attention over the key-padding
// bias) -> a classification head -> the loss. A family is a set of parts. BERT's parts
// (bert/parts.ts) are the base; RoBERTa, XLM-R and DistilBERT spread them and override what differs
// (embeddings, positions, head, parameter names), ModernBERT overrides what it must (layers, the
// per-forward rotary tables and sliding-window bias). Hugging Face's modular model files do the same.
import type { Batch } from '../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../engine/contract.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { DType } from '../onnx/dtype.js';
import type { Graph, Value } from '../onnx/graph.js';
import { headLayout, keyPaddingBias, type HeadLayout } from './attention.js';
import { encoderFeeds, type FeedRules } from './family-common.js';
import type { CheckpointKeys, ModelConfig, ModelOptions, SequenceClassifier } from './family.js';
import { Emitter } from './layers.js';
import { classificationLoss } from './loss.js';
import { ParamRegistry, type Scope } from './scope.js';

/** The sizes every family's config has, under one set of names. */
export interface EncoderConfig extends ModelConfig {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
}

/** Dropout probabilities by site (the `dropout` flag sets them all). */
export interface Dropouts {
  embeddings: number;
  attention: number;
  hidden: number;
  classifier: number;
}

/** The batch's graph inputs; token_type_ids only where the family feeds it. */
export interface EncoderInputs {
  ids: Value;
  mask: Value;
  types?: Value;
}

/** What every layer of one forward pass shares. */
export interface LayerContext {
  L: HeadLayout;
  inputs: EncoderInputs;
  /** [B, 1, 1, T] additive key-padding bias. */
  bias: Value;
  rates: Dropouts;
}

export interface EncoderEmbeddings {
  /** Hidden states [B*T, H]. */
  apply(e: Emitter, inputs: EncoderInputs, rates: Dropouts): Value;
}

export interface EncoderLayer<X extends LayerContext = LayerContext> {
  apply(e: Emitter, x: Value, ctx: X): Value;
}

export interface ClassifierHead<X extends LayerContext = LayerContext> {
  /** Final hidden states [B*T, H] -> logits [B, labels]. */
  apply(e: Emitter, x: Value, ctx: X): Value;
}

export interface EncoderParts<C extends EncoderConfig, X extends LayerContext = LayerContext> {
  /** The Hugging Face class (config.json's architectures, loading reports). */
  architecture(c: C): string;
  keys: CheckpointKeys;
  /** Scope of the base model's parameters ('bert', 'roberta', ...): checkpoint key prefix. */
  base: string;
  dropouts(c: C): Dropouts;
  /** Token types the model has (see FeedRules); undefined: none, token_type_ids is not used. */
  tokenTypes(c: C): FeedRules['tokenTypes'];
  embeddings(s: Scope, c: C): EncoderEmbeddings;
  layer(s: Scope, c: C, index: number): EncoderLayer<X>;
  /** Per-forward values the layers share, from the frame's (BERT's: returned as it is). */
  context(e: Emitter, base: LayerContext, c: C): X;
  /** The head, under the model's root (`base` is the base model's scope, for a final norm). */
  head(root: Scope, base: Scope, c: C, numLabels: number): ClassifierHead<X>;
  /** A fresh parameter value (the family's _init_weights). */
  init(spec: ParamSpec, seed: number, c: C): Float32Array;
  checkpointConfig(c: C, architecture: string, labels: string[]): Record<string, unknown>;
  tokenizerConfig(c: C, o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown>;
}

export class EncoderClassifier<
  C extends EncoderConfig,
  X extends LayerContext = LayerContext,
> implements SequenceClassifier {
  readonly architecture: string;
  readonly keys: CheckpointKeys;
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[];
  readonly dtype: DType;
  readonly rates: Dropouts;
  private readonly embeddings: EncoderEmbeddings;
  private readonly layers: EncoderLayer<X>[];
  private readonly head: ClassifierHead<X>;
  /** The family's token-type rule for this config (feeds checks it per batch). */
  private readonly tokenTypes: FeedRules['tokenTypes'];

  constructor(
    private readonly parts: EncoderParts<C, X>,
    readonly config: C,
    readonly numLabels: number,
    private readonly opts: ModelOptions = {},
  ) {
    this.architecture = parts.architecture(config);
    this.keys = parts.keys;
    this.dtype = opts.dtype ?? 'float32';
    const rates = parts.dropouts(config);
    const d = opts.dropout;
    this.rates = d === undefined ? rates : { embeddings: d, attention: d, hidden: d, classifier: d };
    this.tokenTypes = parts.tokenTypes(config);
    const seq = (name: string): BatchInputSpec => ({ name, dtype: 'int64', shape: ['batch', 'seq'] });
    this.batchInputs = [
      seq('input_ids'),
      seq('attention_mask'),
      ...(this.tokenTypes?.feed ? [seq('token_type_ids')] : []),
      { name: 'labels', dtype: 'int64', shape: ['batch'] },
    ];
    // Declaration order is parameter order (the training state's layout): embeddings, layers, head.
    const registry = new ParamRegistry();
    const base = registry.root().child(parts.base);
    this.embeddings = parts.embeddings(base.child('embeddings'), config);
    this.layers = Array.from({ length: config.numLayers }, (_, i) => parts.layer(base, config, i));
    this.head = parts.head(registry.root(), base, config, numLabels);
    this.params = registry.specs;
  }

  feeds(b: Batch, withLabels: boolean): MicroBatch {
    return encoderFeeds(b, withLabels, {
      model: this.architecture,
      maxPositions: this.config.maxPositions,
      vocabSize: this.config.vocabSize,
      tokenTypes: this.tokenTypes,
    });
  }

  initParam(spec: ParamSpec, seed: number): Float32Array {
    return this.parts.init(spec, seed, this.config);
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    return this.parts.checkpointConfig(this.config, this.architecture, labels);
  }

  tokenizerConfig(o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown> {
    return this.parts.tokenizerConfig(this.config, o);
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
    const { input_ids: ids, attention_mask: mask, token_type_ids: types } = batch;
    const feedsTypes = this.tokenTypes?.feed === true;
    if (!ids || !mask || (feedsTypes && !types))
      throw new Error(
        `${this.architecture} forward: the batch needs input_ids, attention_mask${feedsTypes ? ' and token_type_ids' : ''}`,
      );
    const c = this.config;
    const inputs: EncoderInputs = { ids, mask, ...(feedsTypes && { types }) };
    let x = this.embeddings.apply(e, inputs, this.rates); // [N, H], N = batch * seq
    const L = headLayout(g, ids, c.numHeads, c.hiddenSize, x.shape[0]);
    const bias = keyPaddingBias(e, mask, this.dtype);
    const ctx = this.parts.context(e, { L, inputs, bias, rates: this.rates }, c);
    for (const layer of this.layers) x = layer.apply(e, x, ctx);
    const logits = e.toFloat32(this.head.apply(e, x, ctx));
    if (!batch.labels) return { logits };
    return { loss: classificationLoss(g, logits, batch.labels), logits };
  }
}
