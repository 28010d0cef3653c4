// BERT (BertForSequenceClassification): the first family of the model registry.
import type { ModelFamily } from '../family.js';
import { parseBertConfig, type BertConfig } from './config.js';
import { BertModel } from './graph.js';

export const bertFamily: ModelFamily<BertConfig> = {
  modelTypes: ['bert'],
  architecture: 'BertForSequenceClassification',
  parseConfig: parseBertConfig,
  create: (config, numLabels, opts) => new BertModel(config, numLabels, opts),
};

export { BertModel, MASK_VALUE, type BertModelOptions } from './graph.js';
export { readBertConfig, parseBertConfig, checkpointConfigJson, type BertConfig } from './config.js';
export { bertParamSpecs } from './params.js';
export { loadBertWeights, initBertWeights, canonicalKey, type LoadReport, type LoadedWeights } from './load.js';
export { buildInferenceGraph, writeModelDir, type ExportOptions } from '../export.js';
