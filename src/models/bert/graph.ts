// BERT's modules with Hugging Face's semantics (modeling_bert.py), the base the other families
// derive from: embeddings (word (padding_idx) + absolute position + token type, LayerNorm, dropout), the
// post-norm encoder layer (attention from models/attention.ts, dense -> dropout -> LayerNorm(x +
// residual), exact erf GELU feed-forward by default) and the pooler head (tanh(dense([CLS])) ->
// dropout -> classifier). Each module declares its parameters where it is built, so parameter
// names (= checkpoint keys) exist in one place.
import type { Value } from '../../onnx/graph.js';
import { activation } from '../activations.js';
import { attend, firstToken, toHeads } from '../attention.js';
import type {
  ClassifierHead,
  Dropouts,
  EncoderEmbeddings,
  EncoderInputs,
  EncoderLayer,
  LayerContext,
} from '../encoder.js';
import { assertShape, Embedding, type Emitter, geluFeedForward, LayerNorm, Linear, linearsOn } from '../layers.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import type { Scope } from '../scope.js';
import type { BertConfig } from './config.js';

/** Rows 0..T-1 of the position table, gathered with Range (no position_ids input). */
export function absolutePositions(e: Emitter, ids: Value): Value {
  const { g } = e;
  // A Slice with a run-time end would do the same forward, but its gradient needs constant bounds.
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.constant('int64', [1], [])]);
  return g.op('Range', [g.constant('int64', [0], []), seqLen, g.constant('int64', [1], [])]);
}

export class BertEmbeddings implements EncoderEmbeddings {
  readonly word: PaddingIdxEmbedding;
  readonly position: Embedding;
  /** Absent when the config has no token types (typeVocabSize 0). */
  readonly tokenType?: Embedding;
  readonly norm: LayerNorm;

  constructor(
    s: Scope,
    private readonly c: BertConfig,
  ) {
    // nn.Embedding(vocab_size, hidden_size, padding_idx=pad_token_id), as HF declares it.
    this.word = new PaddingIdxEmbedding(s.child('word_embeddings'), c.vocabSize, c.hiddenSize);
    this.position = new Embedding(s.child('position_embeddings'), c.maxPositions, c.hiddenSize);
    if (c.typeVocabSize > 0)
      this.tokenType = new Embedding(s.child('token_type_embeddings'), c.typeVocabSize, c.hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), c.hiddenSize, c.layerNormEps);
  }

  /** word + position (+ token type), normalised, as [batch*seq, hidden]. */
  apply(e: Emitter, { ids, types }: EncoderInputs, rates: Dropouts): Value {
    const { g } = e;
    const H = this.norm.dim;
    const pos = assertShape(this.position.lookup(e, absolutePositions(e, ids)), [ids.shape[1], H]);
    let sum = g.op('Add', [this.word.lookupWithPad(e, ids, this.c.padTokenId), pos]);
    // Token types not fed (a one-type table): row 0 for every token, as HF's zero default.
    if (this.tokenType) sum = g.op('Add', [sum, this.tokenType.lookup(e, types ?? g.constant('int64', [0], [1]))]);
    const x = g.op('Reshape', [sum, g.ints([-1, H])]);
    return e.dropout(this.norm.apply(e, x), rates.embeddings);
  }
}

/** Where a post-norm layer's parameters live under its scope (HF's attribute paths). */
export interface PostNormNames {
  query: string;
  key: string;
  value: string;
  attentionOutput: string;
  attentionNorm: string;
  intermediate: string;
  output: string;
  outputNorm: string;
  /** BertSelfOutput drops out the attention output before the residual; DistilBERT does not. */
  attentionOutputDropout: boolean;
}

export const BERT_LAYER_NAMES: PostNormNames = {
  query: 'attention.self.query',
  key: 'attention.self.key',
  value: 'attention.self.value',
  attentionOutput: 'attention.output.dense',
  attentionNorm: 'attention.output.LayerNorm',
  intermediate: 'intermediate.dense',
  output: 'output.dense',
  outputNorm: 'output.LayerNorm',
  attentionOutputDropout: true,
};

/** BertLayer: self-attention -> add & norm -> feed-forward -> add & norm. */
export class BertLayer implements EncoderLayer {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: Linear;
  readonly attentionNorm: LayerNorm;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly outputNorm: LayerNorm;

  constructor(
    s: Scope,
    private readonly c: BertConfig,
    private readonly names: PostNormNames = BERT_LAYER_NAMES,
  ) {
    const H = c.hiddenSize,
      I = c.intermediateSize;
    this.query = new Linear(s.child(names.query), H, H);
    this.key = new Linear(s.child(names.key), H, H);
    this.value = new Linear(s.child(names.value), H, H);
    this.attentionOutput = new Linear(s.child(names.attentionOutput), H, H);
    this.attentionNorm = new LayerNorm(s.child(names.attentionNorm), H, c.layerNormEps);
    this.intermediate = new Linear(s.child(names.intermediate), H, I);
    this.output = new Linear(s.child(names.output), I, H);
    this.outputNorm = new LayerNorm(s.child(names.outputNorm), H, c.layerNormEps);
  }

  apply(e: Emitter, x: Value, { L, bias, rates }: LayerContext): Value {
    const { g } = e;
    // Query, key and value as one Gemm where the parameters allow (adjacent in the training
    // state); 1/sqrt(D) scales the query.
    const [qx, kx, vx] = linearsOn(e, x, [this.query, this.key, this.value], [1 / Math.sqrt(L.D)]);
    const q = toHeads(e, qx, L, [0, 2, 1, 3]);
    const kT = toHeads(e, kx, L, [0, 2, 3, 1]);
    const v = toHeads(e, vx, L, [0, 2, 1, 3]);
    const ctx = attend(e, q, kT, v, bias, rates.attention, L);
    const out = this.attentionOutput.apply(e, ctx);
    const attended = this.names.attentionOutputDropout ? e.dropout(out, rates.hidden) : out;
    const h = this.attentionNorm.apply(e, g.op('Add', [attended, x]));
    const ff =
      this.c.hiddenAct === 'gelu'
        ? geluFeedForward(e, h, this.intermediate, this.output)
        : this.output.apply(e, activation(e, this.c.hiddenAct, this.intermediate.apply(e, h)));
    return this.outputNorm.apply(e, g.op('Add', [e.dropout(ff, rates.hidden), h]));
  }
}

/** BertForSequenceClassification's head: pooler tanh(dense([CLS])) -> dropout -> classifier. */
export class BertPoolerHead implements ClassifierHead {
  readonly pooler: Linear;
  readonly classifier: Linear;

  constructor(root: Scope, base: Scope, c: BertConfig, numLabels: number) {
    this.pooler = new Linear(base.child('pooler').child('dense'), c.hiddenSize, c.hiddenSize);
    this.classifier = new Linear(root.child('classifier'), c.hiddenSize, numLabels);
  }

  apply(e: Emitter, x: Value, { L, rates }: LayerContext): Value {
    const pooled = e.g.op('Tanh', [this.pooler.apply(e, firstToken(e, x, L))]);
    return this.classifier.apply(e, e.dropout(pooled, rates.classifier));
  }
}
