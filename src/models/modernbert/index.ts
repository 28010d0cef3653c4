// ModernBERT (ModernBertForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseModernBertConfig, type ModernBertConfig } from './config.js';
import { ModernBertModel } from './graph.js';

export const modernbertFamily: ModelFamily<ModernBertConfig> = {
  modelTypes: ['modernbert'],
  architecture: 'ModernBertForSequenceClassification',
  parseConfig: parseModernBertConfig,
  create: (config, numLabels, opts) => new ModernBertModel(config, numLabels, opts),
  shapeConfig: (_type, s) => ({
    model_type: 'modernbert',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    max_position_embeddings: Math.max(8192, s.maxLength),
    pad_token_id: 0,
  }),
};

export { ModernBertModel } from './graph.js';
export { parseModernBertConfig, type ModernBertConfig, type LayerType } from './config.js';
