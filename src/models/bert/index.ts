// BERT (BertForSequenceClassification): the base family of the model registry.
import type { ModelFamily } from '../family.js';
import { parseBertConfig, type BertConfig } from './config.js';
import { BertModel } from './parts.js';

export const bertFamily: ModelFamily<BertConfig> = {
  modelTypes: ['bert'],
  architecture: 'BertForSequenceClassification',
  parseConfig: parseBertConfig,
  create: (config, numLabels, opts) => new BertModel(config, numLabels, opts),
  shapeConfig: (_type, s) => ({
    model_type: 'bert',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    max_position_embeddings: Math.max(512, s.maxLength),
    type_vocab_size: 2,
  }),
};

export { BertModel, bertParts } from './parts.js';
export { parseBertConfig, readBertKeys, type BertConfig } from './config.js';
