// ModernBERT (ModernBertForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseModernBertConfig, type ModernBertConfig } from './config.js';
import { ModernBertModel } from './graph.js';

export const modernbertFamily: ModelFamily<ModernBertConfig> = {
  modelTypes: ['modernbert'],
  architecture: 'ModernBertForSequenceClassification',
  parseConfig: parseModernBertConfig,
  create: (config, numLabels, opts) => new ModernBertModel(config, numLabels, opts),
};

export { ModernBertModel } from './graph.js';
export { parseModernBertConfig, type ModernBertConfig, type LayerType } from './config.js';
