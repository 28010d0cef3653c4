// DistilBERT (DistilBertForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseDistilBertConfig, type DistilBertConfig } from './config.js';
import { DistilBertModel } from './graph.js';

export const distilbertFamily: ModelFamily<DistilBertConfig> = {
  modelTypes: ['distilbert'],
  architecture: 'DistilBertForSequenceClassification',
  parseConfig: parseDistilBertConfig,
  create: (config, numLabels, opts) => new DistilBertModel(config, numLabels, opts),
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

export { DistilBertModel } from './graph.js';
export { parseDistilBertConfig, type DistilBertConfig } from './config.js';
