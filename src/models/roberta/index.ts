// RoBERTa and XLM-RoBERTa (RobertaForSequenceClassification / XLMRobertaForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseRobertaConfig, type RobertaConfig } from './config.js';
import { RobertaModel } from './graph.js';

export const robertaFamily: ModelFamily<RobertaConfig> = {
  modelTypes: ['roberta', 'xlm-roberta'],
  architecture: 'RobertaForSequenceClassification',
  parseConfig: parseRobertaConfig,
  create: (config, numLabels, opts) => new RobertaModel(config, numLabels, opts),
  shapeConfig: (type, s) => ({
    model_type: type,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    // positions start at pad_token_id + 1 (as roberta-base's 514 rows for 512 tokens)
    max_position_embeddings: Math.max(512, s.maxLength) + 2,
    type_vocab_size: 1,
    pad_token_id: 1,
  }),
};

export { RobertaModel } from './graph.js';
export { parseRobertaConfig, type RobertaConfig } from './config.js';
