// Phase 2 of a run: the epochs. Wiring only: the Trainer gets its options from the flags, the
// validation split, checkpoints in the model-dir format (checkpoint.ts) and its callbacks
// (callbacks/index.ts: checkpoints, early stopping, metrics files, progress, TensorBoard, the Hub,
// report.md, and the host's own); then it trains.
import { join } from 'node:path';
import { batchAmount } from '../config/batch-amount.js';
import type { MetricsEvent } from '../metrics/types.js';
import { readSafetensors } from '../models/safetensors.js';
import type { Logger } from '../util/logger.js';
import type { Callback, FitEnd } from './callback.js';
import { Checkpointing, defaultCallbacks, type HubPushCallback } from './callbacks/index.js';
import { loadResumeState, saveCheckpoint } from './checkpoint.js';
import { evaluateSplit } from './evaluate.js';
import type { PreparedRun } from './prepare.js';
import { Trainer, type CheckpointIO, type TrainerOptions } from './trainer.js';

export interface FitOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** What trainer_state.json records as the run's flags (secrets already removed). */
  recordedFlags: Record<string, unknown>;
  /** push_to_hub: the connected push. */
  hub?: HubPushCallback['hub'];
  /** Write report.md (default); the action renders it itself. */
  report?: boolean;
  /** The host's callbacks, after the default ones. */
  callbacks?: readonly Callback[];
}

/** The run's Trainer with its callbacks; `checkpointing` holds what finish needs (final dir, best epoch). */
export function makeTrainer(p: PreparedRun, opts: FitOptions): { trainer: Trainer; checkpointing: Checkpointing } {
  const { flags, runner, data, labels, evalOptions, clock } = p;
  const callbacks = [
    ...defaultCallbacks({ ...opts, flags, outputDir: p.outputDir, outputClaim: p.outputClaim }),
    ...(opts.callbacks ?? []),
  ];
  const limitVal = batchAmount(flags.limit_val_batches);
  const valid = data.splits.valid;
  const trainer = new Trainer(runner, data.splits.train!, trainerOptions(p), {
    log: opts.log,
    callbacks,
    clock,
    signal: opts.signal,
    checkpoints: checkpointIO(p, opts.recordedFlags),
    validate: valid
      ? async () =>
          (await clock.time('evaluation', () => evaluateSplit(runner, valid, labels, evalOptions, false, limitVal)))
            .metrics
      : undefined,
    resume: p.resumedFrom && { state: p.resumedFrom.meta, ...p.history },
  });
  const checkpointing = trainer.callbacks.find(Checkpointing);
  if (!checkpointing) throw new Error('a training run needs the Checkpointing callback');
  return { trainer, checkpointing };
}

/** Trains from the prepared position; the training phase's seconds exclude the validations and checkpoints inside. */
export async function fitRun(p: PreparedRun, trainer: Trainer, log: Logger): Promise<FitEnd> {
  const { flags, data, clock } = p;
  if (flags.accumulate_grad_batches > 1)
    log.info(
      `accumulate_grad_batches=${flags.accumulate_grad_batches}: examples that do not fill a whole optimizer step at the end of an epoch are skipped (a different set each epoch when shuffling)`,
    );
  if (!data.splits.valid && (flags.early_stopping_patience > 0 || flags.monitor !== 'val_loss'))
    log.warning(
      `no validation split: early_stopping_patience and monitor need one (set valid_file); training runs all epochs and checkpoints/final is the last`,
    );
  if (flags.max_steps > 0)
    log.info(`max_steps=${flags.max_steps}: ${trainer.maxEpochs} epoch(s), max_epochs=${flags.max_epochs} is ignored`);
  log.info(
    `training ${p.numParameters.toLocaleString('en-US')} parameters on ${p.runner.deviceName}: ${trainer.totalSteps} optimizer steps (${flags.lr_scheduler} schedule, ${trainer.warmupSteps} warmup)`,
  );
  const started = Date.now();
  const asideBefore = clock.total('evaluation', 'checkpoints');
  const end = await trainer.fit(p.start);
  const seconds = (Date.now() - started) / 1000;
  // The optimizer steps alone: the validations and checkpoints inside the epochs are phases of their own.
  clock.add('training', Math.max(0, seconds - (clock.total('evaluation', 'checkpoints') - asideBefore)));
  return end;
}

function trainerOptions({ flags, runner, evalOptions }: PreparedRun): TrainerOptions {
  return {
    maxEpochs: flags.max_epochs,
    batchSize: flags.batch_size,
    accumulate: flags.accumulate_grad_batches,
    stepsPerRun: flags.steps_per_run,
    maxLength: flags.max_length,
    padding: flags.padding,
    padId: evalOptions.padId,
    // the device's pad multiple under mixed precision (CUDA: tensor cores take matmul dims in 8s)
    padMultiple: flags.precision !== '32' ? runner.caps.halfPadMultiple : undefined,
    shuffle: flags.shuffle,
    seed: flags.seed,
    learningRate: flags.learning_rate,
    warmupSteps: flags.warmup_steps,
    warmupRatio: flags.warmup_ratio,
    scheduler: flags.lr_scheduler,
    maxSteps: flags.max_steps,
    limitTrainBatches: batchAmount(flags.limit_train_batches),
    valCheckInterval: batchAmount(flags.val_check_interval),
  };
}

/** Checkpoints as model dirs (checkpoint.ts) with the run's labels and recorded flags. */
function checkpointIO(p: PreparedRun, flags: Record<string, unknown>): CheckpointIO {
  return {
    async save(dir, state, dtypes) {
      const meta = { ...state, labels: p.labels, flags };
      await saveCheckpoint(
        dir,
        p.model,
        p.tokenizer,
        await p.runner.exportState(),
        meta,
        p.evalOptions.maxLength,
        dtypes,
      );
    },
    load(dir) {
      const { optimizer, meta } = loadResumeState(dir);
      const params = new Map(
        [...readSafetensors(join(dir, 'model.safetensors')).tensors].map(([k, t]) => [k, t.data as Float32Array]),
      );
      p.runner.importState({ params, optimizer, step: meta.step, scaler: meta.scaler });
      return meta;
    },
  };
}
