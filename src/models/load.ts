// model_name_or_path -> a trainable sequence classifier: resolve the files (local dir or hub),
// read config.json with its family, build the model for the data's labels, load (or initialise)
// the weights with a Hugging Face-style loading report.
import { resolveModel, type ModelFiles } from './hub.js';
import type { ModelConfig, ModelFamily } from './family.js';
import { readModelConfig } from './registry.js';
import { TaskModel, type LossOptions } from './task.js';
import { loadWeights, type LoadReport } from './weights.js';

export interface LoadModelOptions {
  /** Local dir or hub id (flag model_name_or_path). */
  modelNameOrPath: string;
  /** Label names from the data, in class-id order (they size the classifier). */
  labels: string[];
  cacheDir: string;
  hubUrl?: string;
  /** Seeds new weights (e.g. the classifier) and dropout. */
  seed: number;
  /** Flag `dropout`: overrides the config's dropout probabilities. */
  dropout?: number;
  /** Files already resolved (the run resolves them before reading data, to know the tokenizer). */
  files?: ModelFiles;
  /** false when the data is pre-tokenized (no tokenizer files needed). */
  requireTokenizer?: boolean;
  /** The task: problem type, class weights, label smoothing (default: single-label cross-entropy). */
  loss?: LossOptions;
}

export interface LoadedModel {
  files: ModelFiles;
  family: ModelFamily;
  config: ModelConfig;
  model: TaskModel;
  weights: Map<string, Float32Array>;
  report: LoadReport;
}

export async function loadModel(o: LoadModelOptions): Promise<LoadedModel> {
  const least = o.loss?.problemType === 'multi_label_classification' ? 1 : 2; // one sigmoid is a binary task
  if (o.labels.length < least) throw new Error(`a classifier needs at least ${least} labels, got ${o.labels.length}`);
  const files =
    o.files ??
    (await resolveModel(o.modelNameOrPath, {
      hubUrl: o.hubUrl,
      cacheDir: o.cacheDir,
      requireTokenizer: o.requireTokenizer,
    }));
  const { family, config } = readModelConfig(files.config);
  const model = new TaskModel(family.create(config, o.labels.length, { dropout: o.dropout, seed: o.seed }), o.loss);
  const { values, ...report } = loadWeights(files.weights, model, { seed: o.seed, modelName: o.modelNameOrPath });
  return { files, family, config, model, weights: values, report };
}
