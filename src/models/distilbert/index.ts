// DistilBERT (DistilBertForSequenceClassification).
import type { ModelFamily } from '../family.js';
import { parseDistilBertConfig, type DistilBertConfig } from './config.js';
import { DistilBertModel } from './graph.js';

export const distilbertFamily: ModelFamily<DistilBertConfig> = {
  modelTypes: ['distilbert'],
  architecture: 'DistilBertForSequenceClassification',
  parseConfig: parseDistilBertConfig,
  create: (config, numLabels, opts) => new DistilBertModel(config, numLabels, opts),
};

export { DistilBertModel } from './graph.js';
export { parseDistilBertConfig, type DistilBertConfig } from './config.js';
