// One call from model_name_or_path to a trainable BERT: resolve the files (local dir or hub),
// read config.json, build the graph model for the data's labels, load (or initialise) weights.
import { resolveModel, type ModelFiles } from '../hub.js';
import { readBertConfig, type BertConfig } from './config.js';
import { BertModel } from './graph.js';
import { loadBertWeights, type LoadReport } from './load.js';

export { BertModel, MASK_VALUE, type BertModelOptions } from './graph.js';
export { readBertConfig, parseBertConfig, checkpointConfigJson, type BertConfig } from './config.js';
export { bertParamSpecs, decays } from './params.js';
export { loadBertWeights, initBertWeights, canonicalKey, type LoadReport, type LoadedWeights } from './load.js';
export { buildInferenceGraph, writeModelDir, type ExportOptions } from './export.js';

export interface LoadBertOptions {
  /** Local dir or hub id (flag model_name_or_path). */
  modelNameOrPath: string;
  /** Label names from the data, in class-id order (they size the classifier). */
  labels: string[];
  cacheDir: string;
  hubUrl?: string;
  /** Seeds new weights (e.g. the classifier) and dropout. */
  seed: number;
  /** Flag `dropout`: overrides the config's hidden and attention dropout. */
  dropout?: number;
}

export interface LoadedBert {
  files: ModelFiles;
  config: BertConfig;
  model: BertModel;
  weights: Map<string, Float32Array>;
  report: LoadReport;
}

export async function loadBert(o: LoadBertOptions): Promise<LoadedBert> {
  if (o.labels.length < 2) throw new Error(`loadBert: a classifier needs at least 2 labels, got ${o.labels.length}`);
  const files = await resolveModel(o.modelNameOrPath, { hubUrl: o.hubUrl, cacheDir: o.cacheDir });
  const config = readBertConfig(files.config);
  const model = new BertModel(config, o.labels.length, { dropout: o.dropout, seed: o.seed });
  const { values, ...report } = loadBertWeights(files.weights, model.params, config, {
    seed: o.seed,
    modelName: o.modelNameOrPath,
  });
  return { files, config, model, weights: values, report };
}
