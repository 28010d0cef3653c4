// Checkpoints: a Hugging Face model dir (config.json, model.safetensors, tokenizer files,
// onnx/model.onnx) plus what resuming needs (optimizer.safetensors, trainer_state.json).
// Written into a temp dir next to the target and renamed into place, so a crash never leaves a
// half-written checkpoint that a later run would trust.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeModelDir, type ExportDtype } from '../models/export.js';
import type { SequenceClassifier } from '../models/family.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../models/safetensors.js';
import { bertOptionsFromConfig } from '../tokenizer/bert-json.js';
import { saveTokenizer } from '../tokenizer/load.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import type { ScalerState, TrainState } from '../engine/runner.js';
import { readJsonFile } from '../util/json-file.js';
import type { EpochRecord } from '../metrics/types.js';

export const TRAINER_STATE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

export interface TrainerState {
  /** Epochs fully completed. */
  epoch: number;
  /** Optimizer steps done in the epoch after `epoch` (a mid-epoch, cancelled checkpoint). */
  stepInEpoch?: number;
  /** Optimizer steps completed. */
  step: number;
  labels: string[];
  /** Flags of the run that wrote it (informational). */
  flags: Record<string, unknown>;
  bestMetric?: number;
  /** The epochs so far (metrics.json's records): a resumed run's report and metrics keep them. */
  history?: EpochRecord[];
  /** Mixed precision: the loss scaler (scale, growth tracker, steps skipped), restored on resume. */
  scaler?: ScalerState;
  /** Each stateful trainer callback's state, by its key (callback.ts), restored on resume. */
  callbacks?: Record<string, unknown>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function saveCheckpoint(
  dir: string,
  model: SequenceClassifier,
  tok: TextTokenizer | undefined,
  state: TrainState,
  meta: TrainerState,
  maxLength: number,
  /** The ONNX exports under onnx/ (default: model.onnx only; the final checkpoint gets export_dtypes). */
  dtypes?: readonly ExportDtype[],
): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    if (tok) await saveTokenizer(tok, tmp);
    writeModelDir(tmp, model, state.params, {
      labels: meta.labels,
      tokenizerJson: tok ? join(tmp, 'tokenizer.json') : undefined,
      doLowerCase: tok ? bertOptionsFromConfig(tok.config).doLowerCase : undefined,
      maxLength,
      dtypes,
    });
    const opt = new Map<string, SafeTensor>();
    const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
    for (const [key, data] of state.optimizer) {
      const param = key.slice(key.indexOf('.') + 1);
      opt.set(key, { dtype: 'float32', shape: shapes.get(param) ?? [data.length], data });
    }
    writeSafetensors(join(tmp, OPTIMIZER_FILE), opt, { format: 'textclf-optimizer' });
    const record: TrainerState = { ...meta, step: state.step, ...(state.scaler && { scaler: state.scaler }) };
    writeFileSync(join(tmp, TRAINER_STATE), `${JSON.stringify(record, null, 2)}\n`);
    replaceDir(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Swaps `tmp` into `dir`: the old checkpoint is only removed once the new one is in place. */
function replaceDir(tmp: string, dir: string): void {
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Optimizer state and progress of a checkpoint dir written by saveCheckpoint. */
export function loadResumeState(dir: string): { optimizer: Map<string, Float32Array>; meta: TrainerState } {
  const statePath = join(dir, TRAINER_STATE);
  const optPath = join(dir, OPTIMIZER_FILE);
  for (const p of [statePath, optPath]) {
    if (!existsSync(p)) {
      throw new CheckpointError(
        `resume_from: ${dir} has no ${basename(p)}; pass a checkpoint directory written by textclf (e.g. <output_dir>/checkpoints/epoch-1)`,
      );
    }
  }
  const meta = readJsonFile(statePath, (m) => new CheckpointError(`resume_from: ${m}`)) as TrainerState;
  if (
    !meta ||
    typeof meta !== 'object' ||
    !Number.isInteger(meta.step) ||
    !Number.isInteger(meta.epoch) ||
    !Array.isArray(meta.labels)
  ) {
    throw new CheckpointError(`resume_from: ${statePath} lacks step/epoch/labels; it was not written by textclf`);
  }
  if (
    meta.callbacks !== undefined &&
    (!meta.callbacks || typeof meta.callbacks !== 'object' || Array.isArray(meta.callbacks))
  )
    throw new CheckpointError(`resume_from: ${statePath}: "callbacks" must be an object of callback states`);
  const sc = meta.scaler;
  if (
    sc !== undefined &&
    (!sc ||
      typeof sc !== 'object' ||
      !(typeof sc.scale === 'number' && sc.scale > 0 && Number.isFinite(sc.scale)) ||
      !Number.isInteger(sc.growthTracker) ||
      sc.growthTracker < 0 ||
      !Number.isInteger(sc.skipped) ||
      sc.skipped < 0 ||
      sc.skipped > meta.step)
  )
    throw new CheckpointError(
      `resume_from: ${statePath}: "scaler" must be {scale > 0, growthTracker >= 0, skipped in 0..step} (integers but the scale), got ${JSON.stringify(sc)}`,
    );
  const optimizer = new Map<string, Float32Array>();
  for (const [k, t] of readSafetensors(optPath).tensors) {
    if (t.dtype !== 'float32')
      throw new CheckpointError(`resume_from: ${optPath}: '${k}' is ${t.dtype}, expected float32`);
    optimizer.set(k, t.data);
  }
  return { optimizer, meta };
}
