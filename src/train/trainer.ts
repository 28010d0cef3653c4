// The epoch loop: batches -> optimizer steps (A micro-batches each) -> runner calls (K steps each),
// the lr schedule, validation at val_check_interval, max_steps and cancellation. Everything else a
// run does (checkpoints, early stopping, metrics files, progress, TensorBoard, the Hub) is a
// callback (callback.ts) that the loop fires hooks on; README.md walks one step through it.
import { limitBatches, type BatchAmount } from '../config/batch-amount.js';
import { makeBatch, paddedLength, planBatches } from '../data/batching.js';
import type { Batch } from '../data/types.js';
import { lrsFor, makeSchedule, warmupStepsFor, type Schedule, type ScheduleKind } from '../optim/schedule.js';
import { lengthOf, type EncodedDataset } from '../data/encoded-dataset.js';
import type { EpochRecord, EvalMetrics, MetricsEvent } from '../metrics/types.js';
import type { ScalerState, StepResult } from '../engine/runner.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { Logger } from '../util/logger.js';
import type { TrainerState } from './checkpoint.js';
import {
  Callbacks,
  type Callback,
  type CheckpointAt,
  type FitEnd,
  type Position,
  type StopReason,
  type Stopped,
  type TestEvent,
  type TrainerView,
} from './callback.js';
import { PhaseClock } from './phases.js';
import type { RunResult } from './run-result.js';

export type { FitEnd, Position, StopReason } from './callback.js';

export interface TrainerOptions {
  maxEpochs: number;
  batchSize: number;
  accumulate: number;
  /** Optimizer steps per runner call: a fixed K, or 'auto' (see autoSteps). */
  stepsPerRun: number | 'auto';
  /** 'auto': the wall time a run aims at (progress lines and cancellation wait at most about this long; default 5 s). */
  runSeconds?: number;
  maxLength: number;
  padding: 'longest' | 'max_length';
  padId: number;
  /** Each micro-batch padded to a multiple of this (mixed precision on CUDA: 8, for tensor cores). */
  padMultiple?: number;
  shuffle: boolean;
  seed: number;
  learningRate: number;
  warmupSteps: number;
  /** Used when warmupSteps is 0: ceil(total steps * ratio). */
  warmupRatio?: number;
  /** lr_scheduler (default linear). */
  scheduler?: ScheduleKind;
  /** > 0: stop after this many optimizer steps (overrides maxEpochs). */
  maxSteps?: number;
  limitTrainBatches: BatchAmount;
  valCheckInterval: BatchAmount;
}

/** What the loop needs of the runner (engine/runner.ts's Runner; tests pass a fake). */
export interface TrainingRunner {
  readonly model: { feeds(batch: Batch, withLabels: boolean): MicroBatch };
  readonly globalStep: number;
  stepRun(run: MicroBatch, lrs: readonly number[], seqLens?: readonly number[]): Promise<StepResult>;
  scalerState?(): ScalerState | undefined;
}

/** How checkpoints are written and read (fit.ts: the model dir format of checkpoint.ts). */
export interface CheckpointIO {
  /** Writes `state` with the runner's weights and optimizer state (labels and flags are the IO's to add). */
  save(dir: string, state: Omit<TrainerState, 'labels' | 'flags'>, dtypes?: CheckpointAt['dtypes']): Promise<void>;
  /** Loads a checkpoint's weights and optimizer state into the runner. */
  load(dir: string): TrainerState;
}

export interface TrainerDeps {
  log: Logger;
  callbacks?: readonly Callback[];
  /** Validation at val_check_interval (undefined without a validation split). */
  validate?: (epoch: number, step: number) => Promise<EvalMetrics | undefined>;
  checkpoints?: CheckpointIO;
  /** Cancellation: the fit stops after the current runner call. */
  signal?: AbortSignal;
  clock?: PhaseClock;
  /** A resumed run: its checkpoint's state, epochs and metrics stream. */
  resume?: { state: TrainerState; epochs: EpochRecord[]; events: MetricsEvent[] };
}

/** Batches of one epoch after limit_train_batches; with accumulation, a trailing partial step is dropped. */
export function batchesPerEpoch(n: number, o: Pick<TrainerOptions, 'batchSize' | 'limitTrainBatches'>): number {
  return limitBatches(Math.ceil(n / o.batchSize), o.limitTrainBatches);
}

export function stepsPerEpoch(
  n: number,
  o: Pick<TrainerOptions, 'batchSize' | 'limitTrainBatches' | 'accumulate'>,
): number {
  return Math.floor(batchesPerEpoch(n, o) / o.accumulate);
}

/** Validation points inside an epoch, as counts of batches done (always includes the epoch end). */
export function validationPoints(batches: number, interval: BatchAmount): Set<number> {
  // as Lightning: every N batches, or int(n * frac)
  const every = interval.kind === 'batches' ? interval.count : Math.max(1, Math.floor(batches * interval.fraction));
  const points = new Set<number>();
  for (let b = every; b < batches; b += every) points.add(b);
  points.add(batches);
  return points;
}

/** The most optimizer steps one run may take (the steps_per_run flag's bound). */
export const MAX_STEPS_PER_RUN = 256;
/** 'auto' keeps a run's batch inputs under this many bytes. */
const RUN_INPUT_BYTES = 64 << 20;

/**
 * steps_per_run=auto: as many steps as fit in `runSeconds` at the measured seconds per step (one
 * step until there is a measurement), at most what keeps the run's inputs under 64 MiB.
 *
 * Per device: on the CPU and CUDA every call moves the whole training state through host memory
 * once each way (CUDA: ~1.3 GB for BERT-base), so K steps per call divide that cost by K; the
 * inputs bound keeps the stacked batches small next to the GPU's memory. On WebGPU the state stays
 * on the device and a call of K steps is K runs of the one-step graph (runner.ts), so K changes
 * neither copies nor compute (measured on lavapipe: scripts/bench-resident.ts); the same rule
 * only sets how often the loop reports progress and can stop for a cancel.
 */
export function autoSteps(
  o: Pick<TrainerOptions, 'runSeconds' | 'accumulate' | 'batchSize' | 'maxLength'>,
  secondsPerStep: number | undefined,
): number {
  if (secondsPerStep === undefined || !(secondsPerStep >= 0)) return 1;
  // int64 input_ids, attention_mask and token_type_ids of every row of the run, at most max_length long
  const bytesPerStep = o.accumulate * o.batchSize * o.maxLength * 8 * 3;
  const byTime = secondsPerStep > 0 ? Math.floor((o.runSeconds ?? 5) / secondsPerStep) : MAX_STEPS_PER_RUN;
  const byMemory = Math.floor(RUN_INPUT_BYTES / bytesPerStep);
  return Math.max(1, Math.min(byTime, byMemory, MAX_STEPS_PER_RUN));
}

export class Trainer implements TrainerView {
  readonly callbacks: Callbacks;
  readonly log: Logger;
  readonly clock: PhaseClock;
  readonly epochs: EpochRecord[];
  readonly priorEvents: readonly MetricsEvent[];
  readonly resumedFrom?: TrainerState;
  samples = 0;
  /** Measured seconds per optimizer step (auto steps_per_run), from the last run. */
  private secondsPerStep?: number;
  private stopped?: Stopped;
  private failed = false;

  constructor(
    private readonly runner: TrainingRunner,
    private readonly train: EncodedDataset,
    private readonly o: TrainerOptions,
    private readonly deps: TrainerDeps,
  ) {
    if (stepsPerEpoch(train.size, o) < 1) {
      throw new RangeError(
        `the training split has ${train.size} examples: fewer than batch_size * accumulate_grad_batches (${o.batchSize} * ${o.accumulate}); lower them or add data`,
      );
    }
    this.callbacks = new Callbacks(deps.callbacks ?? []);
    this.log = deps.log;
    this.clock = deps.clock ?? new PhaseClock();
    this.epochs = [...(deps.resume?.epochs ?? [])];
    this.priorEvents = deps.resume?.events ?? [];
    this.resumedFrom = deps.resume?.state;
  }

  get globalStep(): number {
    return this.runner.globalStep;
  }

  /** Optimizer steps of the whole run: max_steps when set, else steps per epoch x max_epochs. */
  get totalSteps(): number {
    const o = this.o;
    return o.maxSteps && o.maxSteps > 0 ? o.maxSteps : stepsPerEpoch(this.train.size, o) * o.maxEpochs;
  }

  /** Epochs the run has (the last one partial when max_steps ends it mid-epoch). */
  get maxEpochs(): number {
    return Math.ceil(this.totalSteps / stepsPerEpoch(this.train.size, this.o));
  }

  /** Warmup steps after warmup_ratio. */
  get warmupSteps(): number {
    return warmupStepsFor(this.o.warmupSteps, this.o.warmupRatio ?? 0, this.totalSteps);
  }

  /**
   * Trains from `start` (epochs done, steps done in the current epoch) and ends with onCancel (the
   * interrupted state) or onFitEnd (the final model); returns where it stopped and why.
   */
  async fit(start: Position = { epoch: 0, stepInEpoch: 0 }): Promise<FitEnd> {
    try {
      if (this.resumedFrom) {
        this.callbacks.load(this.resumedFrom.callbacks);
        await this.callbacks.fire('onLoadCheckpoint', this, this.resumedFrom);
      }
      await this.callbacks.fire('onFitStart', this);
      const end = await this.epochLoop(start);
      await this.callbacks.fire(end.cancelled ? 'onCancel' : 'onFitEnd', this, end);
      return end;
    } catch (e) {
      await this.fail(e);
      throw e;
    }
  }

  /** The test split's metrics, measured by the host: fires onTestEnd. */
  async tested(metrics: EvalMetrics, step: number): Promise<void> {
    const e: TestEvent = { type: 'test', step, metrics, time: Date.now() / 1000 };
    await this.callbacks.fire('onTestEnd', this, e);
  }

  /** metrics.json is written: fires onRunEnd, where callbacks add their part of the result. */
  async runEnd(result: RunResult): Promise<void> {
    await this.callbacks.fire('onRunEnd', this, result);
  }

  /** The run failed (in the loop or after it): fires onException once. */
  async fail(error: unknown): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    await this.callbacks.fireAll('onException', this, error);
  }

  /** Always, last. */
  async teardown(): Promise<void> {
    await this.callbacks.fireAll('teardown', this);
  }

  stop(why: Stopped): void {
    this.stopped = why;
  }

  async saveCheckpoint(dir: string, at: CheckpointAt): Promise<void> {
    if (!this.deps.checkpoints) throw new Error('this trainer has no checkpoint IO');
    const state = {
      epoch: at.epoch,
      stepInEpoch: at.stepInEpoch ?? 0,
      step: this.runner.globalStep,
      history: this.epochs,
      callbacks: this.callbacks.states(),
    };
    await this.deps.checkpoints.save(dir, state, at.dtypes);
    await this.callbacks.fire('onSaveCheckpoint', this, { ...at, dir });
  }

  loadCheckpoint(dir: string): TrainerState {
    if (!this.deps.checkpoints) throw new Error('this trainer has no checkpoint IO');
    return this.deps.checkpoints.load(dir);
  }

  private async epochLoop(start: Position): Promise<FitEnd> {
    const o = this.o;
    const schedule = makeSchedule(o.scheduler ?? 'linear', o.learningRate, this.warmupSteps, this.totalSteps);
    const maxEpochs = this.maxEpochs;
    for (let epoch = start.epoch; epoch < maxEpochs; epoch++) {
      const stepInEpoch = await this.runEpoch(epoch, epoch === start.epoch ? start.stepInEpoch : 0, schedule);
      if (stepInEpoch !== undefined) return this.end({ epoch, stepInEpoch }, 'cancelled');
      const last = epoch + 1 >= maxEpochs;
      if (this.stopped && !last) return this.end({ epoch: epoch + 1, stepInEpoch: 0 }, 'early_stopping');
      if (this.deps.signal?.aborted && !last) return this.end({ epoch: epoch + 1, stepInEpoch: 0 }, 'cancelled');
    }
    return this.end({ epoch: maxEpochs, stepInEpoch: 0 }, o.maxSteps && o.maxSteps > 0 ? 'max_steps' : 'max_epochs');
  }

  private end(at: Position, reason: StopReason): FitEnd {
    const stopped: Stopped | undefined =
      reason === 'early_stopping' && this.stopped
        ? { ...this.stopped, epoch: at.epoch }
        : reason === 'max_steps'
          ? (this.stopped ?? {
              reason,
              epoch: at.epoch,
              message: `max_steps ${this.o.maxSteps} reached in epoch ${at.epoch}`,
            })
          : undefined;
    return {
      ...at,
      cancelled: reason === 'cancelled',
      samples: this.samples,
      reason,
      stopped,
      trainedSteps: this.runner.globalStep,
      scaler: this.runner.scalerState?.(),
    };
  }

  /** One epoch from `stepInEpoch`; returns the steps done when cancelled inside it, else undefined. */
  private async runEpoch(epoch: number, stepInEpoch: number, schedule: Schedule): Promise<number | undefined> {
    const o = this.o;
    const started = Date.now();
    await this.callbacks.fire('onEpochStart', this, epoch + 1);
    const perEpoch = stepsPerEpoch(this.train.size, o);
    const plan = planBatches(this.train, { ...o, epoch }).slice(0, perEpoch * o.accumulate);
    const valAt = validationPoints(plan.length, o.valCheckInterval);
    // max_steps may end the run inside this epoch: it then ends (validation, checkpoint) there.
    const epochSteps = Math.min(perEpoch, stepInEpoch + Math.max(0, this.totalSteps - this.runner.globalStep));
    valAt.add(epochSteps * o.accumulate);
    const acc: EpochSums = { lossSum: 0, lossCount: 0 };
    while (stepInEpoch < epochSteps) {
      const k = await this.runSteps({ plan, epoch, stepInEpoch, epochSteps, valAt, schedule }, acc);
      const before = stepInEpoch * o.accumulate;
      stepInEpoch += k;
      const crossed = [...valAt].some((p) => p > before && p <= stepInEpoch * o.accumulate);
      if (crossed) acc.validation = await this.validate(epoch + 1);
      if (this.deps.signal?.aborted && stepInEpoch < epochSteps) return stepInEpoch;
    }
    await this.endEpoch(epoch + 1, acc, (Date.now() - started) / 1000);
    return undefined;
  }

  /** One runner call of up to K optimizer steps: fires onTrainStepEnd per step; returns K. */
  private async runSteps(at: RunAt, acc: EpochSums): Promise<number> {
    const { batch, k, seqLens } = this.nextRun(at.plan, at.stepInEpoch, at.epochSteps, at.valAt);
    const t0 = performance.now();
    const lrs = lrsFor(at.schedule, this.runner.globalStep, k);
    const r = await this.runner.stepRun(this.runner.model.feeds(batch, true), lrs, seqLens);
    const seconds = (performance.now() - t0) / 1000;
    this.secondsPerStep = seconds / k;
    const rate = batch.batchSize / Math.max(1e-3, seconds);
    this.samples += batch.batchSize;
    for (let i = 0; i < r.losses.length; i++) {
      const step = this.runner.globalStep - k + i + 1;
      const loss = r.losses[i];
      if (!Number.isFinite(loss)) throw divergence(loss, step, !!r.lossScales);
      acc.lossSum += loss;
      acc.lossCount++;
      await this.callbacks.fire('onTrainStepEnd', this, {
        type: 'step',
        step,
        epoch: at.epoch + 1,
        loss,
        lr: lrs[i],
        gradNorm: r.gradNorms[i],
        ...(r.lossScales && { skipped: r.skipped![i], lossScale: r.lossScales[i] }),
        samplesPerSec: rate,
        time: Date.now() / 1000,
      });
    }
    return k;
  }

  private async validate(epoch: number): Promise<EvalMetrics | undefined> {
    const step = this.runner.globalStep;
    const metrics = await this.deps.validate?.(epoch, step);
    if (metrics)
      await this.callbacks.fire('onValidationEnd', this, {
        type: 'validation',
        step,
        epoch,
        metrics,
        time: Date.now() / 1000,
      });
    return metrics;
  }

  private async endEpoch(epoch: number, acc: EpochSums, seconds: number): Promise<void> {
    const trainLoss = acc.lossCount ? acc.lossSum / acc.lossCount : NaN;
    const step = this.runner.globalStep;
    const record: EpochRecord = { epoch, step, trainLoss, validation: acc.validation, seconds };
    this.epochs.push(record);
    const stoppedBefore = this.stopped;
    await this.callbacks.fire('onEpochEnd', this, {
      event: { type: 'epoch', step, epoch, trainLoss, time: Date.now() / 1000 },
      record,
    });
    if (this.stopped && this.stopped !== stoppedBefore) this.log.notice(this.stopped.message);
  }

  /**
   * The micro-batches of the next runner call: up to K optimizer steps (steps_per_run, or 'auto'),
   * never past the next validation point, whose micro-batches have the same batch size (the
   * stacked [K, A, B, T] input needs one shape), padded to a common length; `seqLens` gives each
   * micro-batch's own length, to which the step cuts it.
   */
  private nextRun(
    plan: number[][],
    stepInEpoch: number,
    perEpoch: number,
    valAt: Set<number>,
  ): { batch: Batch; k: number; seqLens: number[] } {
    const o = this.o;
    const wanted = o.stepsPerRun === 'auto' ? autoSteps(o, this.secondsPerStep) : o.stepsPerRun;
    const first = stepInEpoch * o.accumulate;
    // Stop at the step that reaches the next validation point (validation follows that run).
    const nextVal = Math.min(...[...valAt].filter((p) => p > first));
    const k = Math.min(wanted, perEpoch - stepInEpoch, Math.ceil((nextVal - first) / o.accumulate));
    const size = plan[first].length;
    let count = 0;
    while (
      count < k &&
      plan.slice(first + count * o.accumulate, first + (count + 1) * o.accumulate).every((b) => b.length === size)
    )
      count++;
    if (count === 0) count = 1; // a step whose micro-batches differ in size: only possible with A > 1
    const idx = plan.slice(first, first + count * o.accumulate);
    // Uneven micro-batches inside one step (the epoch's short last batch with A > 1): trim to the
    // smallest so the step stays one stacked tensor.
    const min = Math.min(...idx.map((i) => i.length));
    const micro = idx.map((i) => (i.length > min ? i.slice(0, min) : i));
    const seqLens = micro.map((rows) =>
      o.padding === 'max_length'
        ? o.maxLength
        : paddedLength(Math.max(1, ...rows.map((r) => lengthOf(this.train, r))), o.padMultiple, o.maxLength),
    );
    // One padded batch of all the run's rows, step-major: the stacked [K, A, B, T] feed is this
    // batch's memory as it is, written once at the run's longest length.
    return { batch: makeBatch(this.train, micro.flat(), o), k: count, seqLens };
  }
}

interface EpochSums {
  lossSum: number;
  lossCount: number;
  /** The epoch's last validation. */
  validation?: EvalMetrics;
}

interface RunAt {
  plan: number[][];
  epoch: number;
  stepInEpoch: number;
  epochSteps: number;
  valAt: Set<number>;
  schedule: Schedule;
}

function divergence(loss: number, step: number, mixed: boolean): Error {
  return new Error(
    `training diverged: loss is ${loss} at step ${step}; lower learning_rate or enable max_grad_norm${mixed ? ' (under mixed precision the forward pass overflowed float16: try --precision bf16-mixed on CUDA, or 32)' : ''}`,
  );
}
