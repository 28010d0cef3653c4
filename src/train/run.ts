// One training run from parsed flags, in three phases: prepare (data, model, runner), fit (the
// Trainer and its callbacks: epochs, checkpoints, the final model) and finish (test, metrics.json,
// the callbacks' results: TensorBoard, the Hub, report.md). Both hosts (CLI and action) call this;
// they differ in the Logger, their own callbacks and how they present the results.
import type { TrainFlags } from '../config/schema.js';
import type { MetricsEvent, RunInfo } from '../metrics/types.js';
import { noEffectNotices } from '../config/parse.js';
import type { Logger } from '../util/logger.js';
import { redactFlags } from '../util/redact.js';
import type { Callback } from './callback.js';
import { fitRun, makeTrainer } from './fit.js';
import { finishRun, type RunResult } from './finish.js';
import { HubPush } from './hub-push.js';
import { prepareRun } from './prepare.js';
import type { Trainer } from './trainer.js';

export type { RunResult } from './finish.js';
export type { HubOutcome } from './hub-push.js';
export { CheckpointError } from './checkpoint.js';
export { HubPushError } from '../hub/errors.js';
export { hubReportParts } from './hub-push.js';
export type { Callback, TrainerView } from './callback.js';

export interface RunOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** Default cache location when cache_dir is not set (util/cache-dir.ts). */
  defaultCacheDir?: string;
  /** Extra run facts for the report (GPU names, commit). */
  runFacts?: Partial<RunInfo>;
  /** Write report.md (default true); the action renders it once itself, with its own sections. */
  report?: boolean;
  /** The host's own trainer callbacks, fired after the default ones (the action's artifact and summary). */
  callbacks?: readonly Callback[];
  /** Tests only (no flag): mixed precision on the CPU device. */
  mixedPrecision?: { allowCpu?: boolean };
  /** How messages spell flags: the CLI's `--flag value` (default) or the action's `flag: value`. */
  flagStyle?: 'cli' | 'action';
  /** The Hugging Face token for push_to_hub (the action's hub_token); default HF_TOKEN. */
  hubToken?: string;
}

export async function runTraining(given: TrainFlags, opts: RunOptions): Promise<RunResult> {
  for (const n of noEffectNotices(given)) opts.log.notice(n);
  const dev = fastDevBatches(given.fast_dev_run);
  const flags = dev > 0 ? fastDevRun(given, dev, opts.log) : given;
  // The token and the repo id are checked before anything is read: a push that cannot work fails in seconds.
  const hub = flags.push_to_hub
    ? await HubPush.connect(flags, { log: opts.log, signal: opts.signal, token: opts.hubToken })
    : undefined;
  try {
    const prepared = await prepareRun(flags, opts);
    const recordedFlags = recordFlags(flags);
    let trainer: Trainer | undefined;
    try {
      const made = makeTrainer(prepared, { ...opts, recordedFlags, hub });
      trainer = made.trainer;
      const end = await fitRun(prepared, trainer, opts.log);
      return await finishRun(prepared, { ...made, end }, { ...opts, recordedFlags });
    } catch (e) {
      // Failed before its first checkpoint: nothing of it is kept, and a run it replaced comes back.
      prepared.outputClaim.abandon();
      await trainer?.fail(e);
      throw e;
    } finally {
      await trainer?.teardown();
      // also when training fails or is refused: the sessions hold native memory
      await prepared.runner.release();
    }
  } finally {
    await hub?.close();
  }
}

/** fast_dev_run as a number of batches: true = 1, false = 0, or the integer given (Lightning's rule). */
function fastDevBatches(v: TrainFlags['fast_dev_run']): number {
  return v === 'true' ? 1 : v === 'false' ? 0 : v;
}

/** Lightning's fast_dev_run=N: one epoch of N training batches, N validation and N test batches. */
function fastDevRun(flags: TrainFlags, n: number, log: Logger): TrainFlags {
  const b = (k: number) => `${k} ${k === 1 ? 'batch' : 'batches'}`;
  log.notice(
    `fast_dev_run: 1 epoch of ${b(n)} of training, ${b(n)} of validation and ${b(n)} of test (the results only check the pipeline)`,
  );
  return {
    ...flags,
    max_epochs: 1,
    max_steps: -1,
    limit_train_batches: `${n}`,
    limit_val_batches: `${n}`,
    limit_test_batches: `${n}`,
    val_check_interval: '1.0',
    accumulate_grad_batches: 1,
    early_stopping_patience: 0,
  };
}

/** The flags as metrics.json, trainer_state.json and report.md record them: no credentials, URLs redacted. */
function recordFlags(flags: TrainFlags): Record<string, unknown> {
  return redactFlags(flags);
}
