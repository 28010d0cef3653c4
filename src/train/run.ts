// One training run from parsed flags, in three phases: prepare (data, model, runner), fit (the
// epochs, checkpoints) and finish (final checkpoint, test, metrics.json, report). Both hosts (CLI
// and action) call this; they differ in the Logger and in how they present the results.
import type { TrainFlags } from '../config/schema.js';
import type { MetricsEvent, RunInfo } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import { redactFlags } from '../util/redact.js';
import { fitRun } from './fit.js';
import { finishRun, type RunResult } from './finish.js';
import { prepareRun } from './prepare.js';

export type { RunResult } from './finish.js';
export { CheckpointError } from './checkpoint.js';

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
}

export async function runTraining(flags: TrainFlags, opts: RunOptions): Promise<RunResult> {
  const prepared = await prepareRun(flags, opts);
  try {
    const recordedFlags = recordFlags(flags);
    const fit = await fitRun(prepared, { ...opts, recordedFlags });
    return await finishRun(prepared, fit, { ...opts, recordedFlags });
  } finally {
    // also when training fails or is refused: the sessions hold native memory
    await prepared.runner.release();
  }
}

/** The flags as metrics.json, trainer_state.json and report.md record them: no credentials, URLs redacted. */
function recordFlags(flags: TrainFlags): Record<string, unknown> {
  return redactFlags(flags);
}
