// Phase 2 of a run: the epochs. The trainer's loop with this run's hooks: metrics.jsonl and
// --log_file, progress lines, validation, the monitored metric (best epoch, early stopping), and
// the checkpoint after each epoch (all | best | last; the best epoch's is kept until the end).
import type { ExportDtype } from '../models/export.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { batchAmount } from '../config/batch-amount.js';
import type { EpochRecord, MetricsEvent, MetricsFile } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import { saveCheckpoint, type TrainerState } from './checkpoint.js';
import { evaluateSplit } from './evaluate.js';
import { EventStream, JsonlWriter } from './events.js';
import type { PreparedRun } from './prepare.js';
import type { HubPush } from './hub-push.js';
import { Progress } from './progress.js';
import { EpochMonitor } from './monitor.js';
import { Trainer, type Position, type StopReason } from './trainer.js';

export interface FitOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** What trainer_state.json records as the run's flags (secrets already removed). */
  recordedFlags: Record<string, unknown>;
  /** push_to_hub: told of every epoch checkpoint saved. */
  hub?: Pick<HubPush, 'checkpointSaved'>;
}

export interface FitResult {
  end: Position & { cancelled: boolean; samples: number; reason: StopReason };
  /** Every epoch of the run, a resumed run's earlier ones first. */
  epochs: EpochRecord[];
  checkpoints: MetricsFile['checkpoints'];
  /** The best validation epoch by the monitored metric. */
  bestEpoch?: number;
  monitor: EpochMonitor;
  /** Why training ended before max_epochs. */
  stopped?: MetricsFile['stopped'];
  events: EventStream;
  /** The metrics stream, a resumed run's earlier events first. */
  allEvents: MetricsEvent[];
  metricsJsonl: string;
  trainSeconds: number;
}

export async function fitRun(p: PreparedRun, opts: FitOptions): Promise<FitResult> {
  const { log } = opts;
  const { flags, runner, data, labels, evalOptions } = p;
  const metricsJsonl = join(p.outputDir, 'metrics.jsonl');
  const resumed = !!p.resumedFrom;
  // metrics.jsonl is rewritten: the resumed run's events up to its checkpoint, then this run's.
  const metricsWriter = new JsonlWriter(metricsJsonl);
  for (const e of p.history.events) metricsWriter.write(e);
  const events = new EventStream(
    metricsWriter,
    flags.log_file ? new JsonlWriter(resolve(flags.log_file), resumed) : undefined,
  );
  const allEvents: MetricsEvent[] = [...p.history.events];
  events.on((e) => allEvents.push(e));
  if (opts.onEvent) events.on(opts.onEvent);

  const trainer = new Trainer(runner, data.splits.train!, {
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
  });
  if (flags.accumulate_grad_batches > 1) {
    log.info(
      `accumulate_grad_batches=${flags.accumulate_grad_batches}: examples that do not fill a whole optimizer step at the end of an epoch are skipped (a different set each epoch when shuffling)`,
    );
  }
  if (!data.splits.valid && (flags.early_stopping_patience > 0 || flags.monitor !== 'val_loss'))
    log.warning(
      `no validation split: early_stopping_patience and monitor need one (set valid_file); training runs all epochs and checkpoints/final is the last`,
    );
  if (flags.max_steps > 0)
    log.info(`max_steps=${flags.max_steps}: ${trainer.maxEpochs} epoch(s), max_epochs=${flags.max_epochs} is ignored`);

  const epochs: EpochRecord[] = [...p.history.epochs];
  const checkpoints: MetricsFile['checkpoints'] = epochs
    .filter((e) => e.checkpoint && existsSync(e.checkpoint))
    .map((e) => ({ epoch: e.epoch, path: e.checkpoint! }));
  const monitor = EpochMonitor.fromHistory(
    { name: flags.monitor, patience: flags.early_stopping_patience, minDelta: flags.early_stopping_min_delta },
    epochs,
  );
  let stopped: FitResult['stopped'];
  const limitVal = batchAmount(flags.limit_val_batches);
  const progress = new Progress((line) => log.info(line), opts.progressSeconds ?? 10);
  const trainStart = Date.now();
  const { clock } = p;
  const asideBefore = clock.total('evaluation', 'checkpoints');
  log.info(
    `training ${p.numParameters.toLocaleString('en-US')} parameters on ${runner.deviceName}: ${trainer.totalSteps} optimizer steps (${flags.lr_scheduler} schedule, ${trainer.warmupSteps} warmup)`,
  );
  const end = await trainer.fit(
    {
      events,
      signal: opts.signal,
      progress: (x) => progress.update({ ...x, maxEpochs: trainer.maxEpochs }),
      validate: async () =>
        data.splits.valid
          ? (
              await clock.time('evaluation', () =>
                evaluateSplit(runner, data.splits.valid!, labels, evalOptions, false, limitVal),
              )
            ).metrics
          : undefined,
      epochEnd: async (epoch, trainLoss, validation, seconds) => {
        const dir = join(p.checkpointRoot, `epoch-${epoch}`);
        const verdict = monitor.update(epoch, validation);
        const policy = flags.save_checkpoints;
        // The best epoch's checkpoint is kept until the end whatever the policy: final/ is made from it.
        const keep = policy === 'all' || policy === 'last' || verdict.best || !validation;
        const record: EpochRecord = {
          epoch,
          step: runner.globalStep,
          trainLoss,
          validation,
          seconds,
          checkpoint: keep ? dir : undefined,
        };
        epochs.push(record);
        if (keep) {
          await clock.time('checkpoints', async () => {
            await saveRunCheckpoint(p, dir, trainerState(p, opts.recordedFlags, epoch, 0, epochs));
            checkpoints.push({ epoch, path: dir });
            opts.hub?.checkpointSaved(dir, epoch);
            if (policy !== 'all') {
              const best = epochs.find((e) => e.epoch === monitor.bestEpoch)?.checkpoint;
              pruneEpochCheckpoints(
                p.checkpointRoot,
                new Set([dir, ...(policy === 'last' && best ? [best] : [])]),
                checkpoints,
                epochs,
              );
            }
          });
        }
        log.info(
          `epoch ${epoch}: train loss ${trainLoss.toFixed(4)}${validation ? `, validation loss ${validation.loss.toFixed(4)} accuracy ${(validation.accuracy * 100).toFixed(2)}% F1 ${validation.f1.toFixed(4)}` : ''}${verdict.best && validation ? ` (best ${flags.monitor} so far)` : ''} (${seconds.toFixed(1)} s)`,
        );
        if (verdict.stop) {
          stopped = { reason: 'early_stopping', epoch, message: verdict.stop };
          log.notice(verdict.stop);
          return { stop: true };
        }
      },
    },
    p.start,
  );
  if (end.reason === 'max_steps' && !stopped)
    stopped = {
      reason: 'max_steps',
      epoch: end.epoch,
      message: `max_steps ${flags.max_steps} reached in epoch ${end.epoch}`,
    };
  if (end.reason === 'early_stopping' && stopped) stopped.epoch = end.epoch;
  const trainSeconds = (Date.now() - trainStart) / 1000;
  // The optimizer steps alone: the validations and checkpoints inside the epochs are phases of their own.
  clock.add('training', Math.max(0, trainSeconds - (clock.total('evaluation', 'checkpoints') - asideBefore)));
  return {
    end,
    epochs,
    checkpoints,
    bestEpoch: monitor.bestEpoch,
    monitor,
    stopped: end.reason === 'early_stopping' || end.reason === 'max_steps' ? stopped : undefined,
    events,
    allEvents,
    metricsJsonl,
    trainSeconds,
  };
}

/** trainer_state.json of a checkpoint at this point of the run. */
export function trainerState(
  p: PreparedRun,
  flags: Record<string, unknown>,
  epoch: number,
  stepInEpoch = 0,
  history: EpochRecord[] = [],
): TrainerState {
  return { epoch, stepInEpoch, step: p.runner.globalStep, labels: p.labels, flags, history };
}

export async function saveRunCheckpoint(
  p: PreparedRun,
  dir: string,
  meta: TrainerState,
  dtypes?: readonly ExportDtype[],
): Promise<void> {
  await saveCheckpoint(dir, p.model, p.tokenizer, await p.runner.exportState(), meta, p.evalOptions.maxLength, dtypes);
  p.outputClaim.settle(); // the run has a checkpoint: a replaced run goes for good
}

/** export_dtypes as a list (the schema's pattern has checked it). */
export function exportDtypes(flag: string): ExportDtype[] {
  return [...new Set(flag.split(',').map((d) => d.trim() as ExportDtype))];
}

/** Removes the epoch checkpoints not in `keep` (from disk, the checkpoint list and the epoch records). */
export function pruneEpochCheckpoints(
  root: string,
  keep: Set<string>,
  list: MetricsFile['checkpoints'],
  epochs: EpochRecord[],
): void {
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (/^epoch-\d+$/.test(name) && !keep.has(dir)) rmSync(dir, { recursive: true, force: true });
  }
  for (let i = list.length - 1; i >= 0; i--)
    if (!keep.has(list[i].path) && list[i].epoch !== 'final') list.splice(i, 1);
  for (const e of epochs)
    if (e.checkpoint && !keep.has(e.checkpoint) && !existsSync(e.checkpoint)) e.checkpoint = undefined;
}
