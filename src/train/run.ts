// One training run from parsed flags, in three phases: prepare (data, model, runner), fit (the
// epochs, checkpoints) and finish (final checkpoint, test, metrics.json, report). Both hosts (CLI
// and action) call this; they differ in the Logger and in how they present the results.
import type { TrainFlags } from '../config/schema.js';
import type { MetricsEvent, RunInfo } from '../metrics/types.js';
import { noEffectNotices } from '../config/parse.js';
import type { Logger } from '../util/logger.js';
import { redactFlags } from '../util/redact.js';
import { fitRun } from './fit.js';
import { finishRun, type RunResult } from './finish.js';
import { HubPush } from './hub-push.js';
import { prepareRun } from './prepare.js';

export type { RunResult } from './finish.js';
export type { HubOutcome } from './hub-push.js';
export { CheckpointError } from './checkpoint.js';
export { HubPushError } from '../hub/errors.js';
export { hubReportParts } from './hub-push.js';

export interface RunOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** Default cache location when cache_dir is not set. */
  defaultCacheDir?: string;
  /** Extra run facts for the report (GPU names, commit). */
  runFacts?: Partial<RunInfo>;
  /** Write report.md (default true); the action renders it once itself, with its own sections. */
  report?: boolean;
  /** Tests only (no flag): mixed precision on the CPU device. */
  mixedPrecision?: { allowCpu?: boolean };
  /** The Hugging Face token for push_to_hub (the action's hub_token); default HF_TOKEN. */
  hubToken?: string;
}

export async function runTraining(given: TrainFlags, opts: RunOptions): Promise<RunResult> {
  for (const n of noEffectNotices(given)) opts.log.notice(n);
  const flags = given.fast_dev_run ? fastDevRun(given, opts.log) : given;
  // The token and the repo id are checked before anything is read: a push that cannot work fails in seconds.
  const hub = flags.push_to_hub
    ? await HubPush.connect(flags, { log: opts.log, signal: opts.signal, token: opts.hubToken })
    : undefined;
  try {
    const prepared = await prepareRun(flags, opts);
    try {
      await hub?.ensureRepo();
      const recordedFlags = recordFlags(flags);
      const fit = await fitRun(prepared, { ...opts, recordedFlags, hub });
      return await finishRun(prepared, fit, { ...opts, recordedFlags, hub });
    } finally {
      // also when training fails or is refused: the sessions hold native memory
      await prepared.runner.release();
    }
  } finally {
    await hub?.close();
  }
}

/** Lightning's fast_dev_run: one epoch of one training batch, one validation and one test batch. */
function fastDevRun(flags: TrainFlags, log: Logger): TrainFlags {
  log.notice(
    'fast_dev_run: 1 epoch of 1 training batch, 1 validation batch and 1 test batch (the results only check the pipeline)',
  );
  return {
    ...flags,
    max_epochs: 1,
    max_steps: -1,
    limit_train_batches: '1',
    limit_val_batches: '1',
    limit_test_batches: '1',
    val_check_interval: '1.0',
    accumulate_grad_batches: 1,
    early_stopping_patience: 0,
  };
}

/** The flags as metrics.json, trainer_state.json and report.md record them: no credentials, URLs redacted. */
function recordFlags(flags: TrainFlags): Record<string, unknown> {
  return redactFlags(flags);
}
