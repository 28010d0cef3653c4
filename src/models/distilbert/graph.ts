// DistilBertForSequenceClassification with Hugging Face's semantics (modeling_distilbert.py): BERT
// without token types, a word table with padding_idx, BERT's post-norm layer under DistilBERT's
// names with no dropout of the attention output, and a head on [CLS]: pre_classifier -> ReLU ->
// dropout -> classifier.
import type { Value } from '../../onnx/graph.js';
import { firstToken } from '../attention.js';
import { absolutePositions, type PostNormNames } from '../bert/graph.js';
import type { ClassifierHead, Dropouts, EncoderEmbeddings, EncoderInputs, LayerContext } from '../encoder.js';
import { assertShape, Embedding, type Emitter, LayerNorm, Linear } from '../layers.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import type { Scope } from '../scope.js';
import type { DistilBertConfig } from './config.js';

export const DISTILBERT_LAYER_NAMES: PostNormNames = {
  query: 'attention.q_lin',
  key: 'attention.k_lin',
  value: 'attention.v_lin',
  attentionOutput: 'attention.out_lin',
  attentionNorm: 'sa_layer_norm',
  intermediate: 'ffn.lin1',
  output: 'ffn.lin2',
  outputNorm: 'output_layer_norm',
  attentionOutputDropout: false,
};

/** word (padding_idx) + position (rows 0..T-1), normalised: [B*T, dim]. */
export class DistilBertEmbeddings implements EncoderEmbeddings {
  readonly word: PaddingIdxEmbedding;
  readonly position: Embedding;
  readonly norm: LayerNorm;

  constructor(
    s: Scope,
    private readonly c: DistilBertConfig,
  ) {
    this.word = new PaddingIdxEmbedding(s.child('word_embeddings'), c.vocabSize, c.hiddenSize);
    this.position = new Embedding(s.child('position_embeddings'), c.maxPositions, c.hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), c.hiddenSize, c.layerNormEps);
  }

  apply(e: Emitter, { ids }: EncoderInputs, rates: Dropouts): Value {
    const { g } = e;
    const D = this.c.hiddenSize;
    const pos = assertShape(this.position.lookup(e, absolutePositions(e, ids)), [ids.shape[1], D]);
    const sum = g.op('Add', [this.word.lookupWithPad(e, ids, this.c.padTokenId), pos]);
    const x = g.op('Reshape', [sum, g.ints([-1, D])]);
    return e.dropout(this.norm.apply(e, x), rates.embeddings);
  }
}

export class DistilBertHead implements ClassifierHead {
  readonly preClassifier: Linear;
  readonly classifier: Linear;

  constructor(root: Scope, c: DistilBertConfig, numLabels: number) {
    this.preClassifier = new Linear(root.child('pre_classifier'), c.hiddenSize, c.hiddenSize);
    this.classifier = new Linear(root.child('classifier'), c.hiddenSize, numLabels);
  }

  apply(e: Emitter, x: Value, { L, rates }: LayerContext): Value {
    const h = e.g.op('Relu', [this.preClassifier.apply(e, firstToken(e, x, L))]);
    return this.classifier.apply(e, e.dropout(h, rates.classifier));
  }
}
