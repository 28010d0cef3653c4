// A fine-tuned model to score with (textclf predict / evaluate): a checkpoint dir or hub id ->
// labels (config.json id2label), problem type, tokenizer, max_length and a Scorer on the device.
import { parseDevice, type Device } from '../runtime/device.js';
import { join } from 'node:path';
import { resolveModel } from '../models/hub.js';
import { loadModel } from '../models/load.js';
import { readModelConfig } from '../models/registry.js';
import { problemTypeOf, type ProblemType, type TaskModel } from '../models/task.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import type { Logger } from '../util/logger.js';
import type { Evaluator } from './evaluate.js';
import { EXPORT_FILES, ExportScorer, type ExportDtype } from './export-scorer.js';
import { Scorer } from './scorer.js';
import { TrainedModelError } from './trained-model-error.js';

export interface TrainedModelOptions {
  model: string;
  hubUrl?: string;
  cacheDir: string;
  device: Device | string;
  threads: number;
  /** The max_length flag; unset: the checkpoint's. */
  maxLength?: number;
  /** Score with the eval graph on the saved weights (fp32), or with one of the checkpoint's ONNX exports. */
  dtype?: ExportDtype;
  /** The flag that named the model, for messages (`model`). */
  flag?: string;
  log: Logger;
}

export interface TrainedModel {
  dir: string;
  labels: string[];
  problemType: ProblemType;
  tokenizer: TextTokenizer;
  model: TaskModel;
  maxLength: number;
  scorer: Evaluator & { release(): Promise<void> };
}

export { TrainedModelError };

export async function loadTrainedModel(o: TrainedModelOptions): Promise<TrainedModel> {
  const files = await resolveModel(o.model, {
    hubUrl: o.hubUrl,
    cacheDir: join(o.cacheDir, 'models'),
    flag: o.flag ?? 'model',
  });
  const { config } = readModelConfig(files.config);
  const id2label = config.id2label;
  const ids = id2label ? Object.keys(id2label).map(Number) : [];
  if (!id2label || ids.length === 0 || ids.some((i) => !Number.isInteger(i)) || new Set(ids).size !== ids.length)
    throw new TrainedModelError(
      `model ${o.model}: ${files.config} has no id2label; pass a fine-tuned classifier (e.g. <output_dir>/checkpoints/final), not a base model`,
    );
  const labels = ids.sort((a, b) => a - b).map((i) => id2label[String(i)]);
  if (ids.some((i, k) => i !== k))
    throw new TrainedModelError(`model ${o.model}: id2label ids must be 0..${ids.length - 1}, got ${ids.join(', ')}`);
  const problemType = problemTypeOf(config, files.config);
  const loaded = await loadModel({
    modelNameOrPath: o.model,
    labels,
    cacheDir: o.cacheDir,
    files,
    seed: 0,
    loss: { problemType },
  });
  const missing = [...loaded.report.missing, ...loaded.report.mismatched.map((m) => m.name)];
  if (missing.length)
    throw new TrainedModelError(
      `model ${o.model}: ${files.weights} lacks trained weights for ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}; pass a fine-tuned classifier checkpoint`,
    );
  const tokenizer = await loadTokenizer(files.dir);
  const saved = Number(tokenizer.config.model_max_length);
  const fromCheckpoint =
    Number.isInteger(saved) && saved > 0 && saved <= config.maxPositions ? saved : config.maxPositions;
  const maxLength = o.maxLength ?? fromCheckpoint;
  if (maxLength > config.maxPositions)
    throw new TrainedModelError(
      `max_length ${maxLength} exceeds the model's max_position_embeddings ${config.maxPositions}; lower --max_length`,
    );
  const dtype = o.dtype ?? 'fp32';
  const device = typeof o.device === 'object' ? o.device : parseDevice(o.device);
  const scorer =
    dtype === 'fp32'
      ? new Scorer(loaded.model, loaded.weights, { device, threads: o.threads })
      : await ExportScorer.open(loaded.model, join(files.dir, 'onnx', EXPORT_FILES[dtype]), device, o.threads);
  o.log.info(
    `model ${o.model} (${files.source}): ${labels.length} labels (${labels.join(', ')}), ${problemType}, max_length ${maxLength}` +
      (dtype === 'fp32' ? '' : `, scored with onnx/${EXPORT_FILES[dtype]} (${dtype})`),
  );
  return { dir: files.dir, labels, problemType, tokenizer, model: loaded.model, maxLength, scorer };
}
