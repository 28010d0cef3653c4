// RoBERTa and XLM-RoBERTa (RobertaForSequenceClassification / XLMRobertaForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseRobertaConfig, type RobertaConfig } from './config.js';
import { RobertaModel } from './graph.js';

export const robertaFamily: ModelFamily<RobertaConfig> = {
  modelTypes: ['roberta', 'xlm-roberta'],
  architecture: 'RobertaForSequenceClassification',
  parseConfig: parseRobertaConfig,
  create: (config, numLabels, opts) => new RobertaModel(config, numLabels, opts),
};

export { RobertaModel } from './graph.js';
export { parseRobertaConfig, type RobertaConfig } from './config.js';
