// DistilBERT (DistilBertForSequenceClassification): BERT's parts with DistilBERT's embeddings, layer
// names, head and parameter prefix.
import { bertParts } from '../bert/parts.js';
import { BertLayer } from '../bert/graph.js';
import { baseModelKeys } from '../bert/keys.js';
import { EncoderClassifier, type EncoderParts } from '../encoder.js';
import { wordPieceTokenizerConfig } from '../family-common.js';
import type { ModelFamily } from '../family.js';
import { parseDistilBertConfig, type DistilBertConfig } from './config.js';
import { DISTILBERT_LAYER_NAMES, DistilBertEmbeddings, DistilBertHead } from './graph.js';

export const distilbertParts: EncoderParts<DistilBertConfig> = {
  ...bertParts,
  architecture: () => 'DistilBertForSequenceClassification',
  // A masked-LM checkpoint's vocab_* head is not used and is reported.
  keys: baseModelKeys({
    base: 'distilbert',
    modules: ['embeddings', 'transformer'],
    buffers: ['position_ids'],
    head: ['pre_classifier.', 'classifier.'],
  }),
  base: 'distilbert',
  tokenTypes: () => undefined,
  embeddings: (s, c) => new DistilBertEmbeddings(s, c),
  layer: (base, c, i) => new BertLayer(base.child('transformer').child('layer').child(i), c, DISTILBERT_LAYER_NAMES),
  head: (root, _base, c, numLabels) => new DistilBertHead(root, c, numLabels),
  tokenizerConfig: (c, o) => wordPieceTokenizerConfig('DistilBertTokenizer', o, c.maxPositions),
};

export const distilbertFamily: ModelFamily<DistilBertConfig> = {
  modelTypes: ['distilbert'],
  architecture: 'DistilBertForSequenceClassification',
  parseConfig: parseDistilBertConfig,
  create: (config, numLabels, opts) => new EncoderClassifier(distilbertParts, config, numLabels, opts),
  shapeConfig: (_type, s) => ({
    model_type: 'distilbert',
    dim: s.hidden,
    n_layers: s.layers,
    n_heads: s.heads,
    hidden_dim: s.intermediate,
    vocab_size: s.vocab,
    max_position_embeddings: Math.max(512, s.maxLength),
  }),
};

export { parseDistilBertConfig, type DistilBertConfig } from './config.js';
