// Phase 2 of a run: the epochs. The trainer's loop with this run's hooks: metrics.jsonl and
// --log_file, progress lines, validation, and the checkpoint after each epoch (all | best | last).
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EpochRecord, EvalMetrics, MetricsEvent, MetricsFile } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import { saveCheckpoint, type TrainerState } from './checkpoint.js';
import { evaluateSplit } from './evaluate.js';
import { EventStream, JsonlWriter } from './events.js';
import type { PreparedRun } from './prepare.js';
import { Progress } from './progress.js';
import { Trainer, type Position } from './trainer.js';

export interface FitOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** What trainer_state.json records as the run's flags (secrets already removed). */
  recordedFlags: Record<string, unknown>;
}

export interface FitResult {
  end: Position & { cancelled: boolean; samples: number };
  epochs: EpochRecord[];
  checkpoints: MetricsFile['checkpoints'];
  bestEpoch?: number;
  events: EventStream;
  allEvents: MetricsEvent[];
  metricsJsonl: string;
  trainSeconds: number;
}

export async function fitRun(p: PreparedRun, opts: FitOptions): Promise<FitResult> {
  const { log } = opts;
  const { flags, runner, data, labels, evalOptions } = p;
  const metricsJsonl = join(p.outputDir, 'metrics.jsonl');
  const resumed = !!p.resumedFrom;
  const events = new EventStream(
    new JsonlWriter(metricsJsonl, resumed),
    flags.log_file ? new JsonlWriter(resolve(flags.log_file), resumed) : undefined,
  );
  const allEvents: MetricsEvent[] = [];
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
    shuffle: flags.shuffle,
    seed: flags.seed,
    learningRate: flags.learning_rate,
    warmupSteps: flags.warmup_steps,
    limitTrainBatches: flags.limit_train_batches,
    valCheckInterval: flags.val_check_interval,
  });
  if (flags.accumulate_grad_batches > 1) {
    log.info(
      `accumulate_grad_batches=${flags.accumulate_grad_batches}: examples that do not fill a whole optimizer step at the end of an epoch are skipped (a different set each epoch when shuffling)`,
    );
  }

  const epochs: EpochRecord[] = [];
  const checkpoints: MetricsFile['checkpoints'] = [];
  let bestEpoch: number | undefined;
  let best: EvalMetrics | undefined;
  const progress = new Progress((line) => log.info(line), opts.progressSeconds ?? 10);
  const trainStart = Date.now();
  log.info(
    `training ${p.numParameters.toLocaleString('en-US')} parameters on ${runner.deviceName}: ${trainer.totalSteps} optimizer steps`,
  );
  const end = await trainer.fit(
    {
      events,
      signal: opts.signal,
      progress: (x) => progress.update({ ...x, maxEpochs: flags.max_epochs }),
      validate: async () =>
        data.splits.valid ? (await evaluateSplit(runner, data.splits.valid, labels, evalOptions)).metrics : undefined,
      epochEnd: async (epoch, trainLoss, validation, seconds) => {
        const dir = join(p.checkpointRoot, `epoch-${epoch}`);
        const better =
          !best ||
          (validation &&
            (validation.accuracy > best.accuracy ||
              (validation.accuracy === best.accuracy && validation.loss < best.loss)));
        if (validation && better) {
          best = validation;
          bestEpoch = epoch;
        }
        const policy = flags.save_checkpoints;
        const keep = policy === 'all' || (policy === 'best' ? better || !validation : true);
        if (keep) {
          await saveRunCheckpoint(p, dir, trainerState(p, opts.recordedFlags, epoch));
          checkpoints.push({ epoch, path: dir });
          if (policy !== 'all') pruneEpochCheckpoints(p.checkpointRoot, dir, checkpoints);
        }
        epochs.push({
          epoch,
          step: runner.globalStep,
          trainLoss,
          validation,
          seconds,
          checkpoint: keep ? dir : undefined,
        });
        log.info(
          `epoch ${epoch}: train loss ${trainLoss.toFixed(4)}${validation ? `, validation loss ${validation.loss.toFixed(4)} accuracy ${(validation.accuracy * 100).toFixed(2)}% F1 ${validation.f1.toFixed(4)}` : ''} (${seconds.toFixed(1)} s)`,
        );
      },
    },
    p.start,
  );
  return {
    end,
    epochs,
    checkpoints,
    bestEpoch,
    events,
    allEvents,
    metricsJsonl,
    trainSeconds: (Date.now() - trainStart) / 1000,
  };
}

/** trainer_state.json of a checkpoint at this point of the run. */
export function trainerState(
  p: PreparedRun,
  flags: Record<string, unknown>,
  epoch: number,
  stepInEpoch = 0,
): TrainerState {
  return { epoch, stepInEpoch, step: p.runner.globalStep, labels: p.labels, flags };
}

export function saveRunCheckpoint(p: PreparedRun, dir: string, meta: TrainerState): Promise<void> {
  return saveCheckpoint(dir, p.model, p.tokenizer, p.runner.exportState(), meta, p.evalOptions.maxLength);
}

function pruneEpochCheckpoints(root: string, keep: string, list: MetricsFile['checkpoints']): void {
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (/^epoch-\d+$/.test(name) && dir !== keep) rmSync(dir, { recursive: true, force: true });
  }
  for (let i = list.length - 1; i >= 0; i--) if (list[i].path !== keep && list[i].epoch !== 'final') list.splice(i, 1);
}
