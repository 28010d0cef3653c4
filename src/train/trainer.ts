// The epoch loop: batches -> optimizer steps (A micro-batches each) -> runner calls (K steps each),
// the lr schedule, validation at val_check_interval, max_steps, early stopping (the epochEnd hook
// decides), events, progress and cancellation.
import { limitBatches, type BatchAmount } from '../config/batch-amount.js';
import { makeBatch, paddedLength, planBatches } from '../data/batching.js';
import type { Batch } from '../data/types.js';
import { lrsFor, makeSchedule, warmupStepsFor, type ScheduleKind } from '../optim/schedule.js';
import { lengthOf, type EncodedDataset } from '../data/encoded-dataset.js';
import type { EventStream } from './events.js';
import type { EvalMetrics } from '../metrics/types.js';
import type { Runner } from '../engine/runner.js';
import type { SequenceClassifier } from '../models/family.js';

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

/** Why fit returned. */
export type StopReason = 'max_epochs' | 'max_steps' | 'early_stopping' | 'cancelled';

export interface Position {
  epoch: number;
  stepInEpoch: number;
}

export interface TrainerHooks {
  events: EventStream;
  /** Validation (returns undefined when there is no validation split). */
  validate(epoch: number, step: number): Promise<EvalMetrics | undefined>;
  /** Called after every completed epoch (checkpointing); `{ stop: true }` ends training (early stopping). */
  epochEnd(
    epoch: number,
    trainLoss: number,
    validation: EvalMetrics | undefined,
    seconds: number,
  ): Promise<void | { stop?: boolean }>;
  progress(p: { step: number; totalSteps: number; epoch: number; loss: number; samples: number }): void;
  signal?: AbortSignal;
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

export class Trainer {
  /** Measured seconds per optimizer step (auto steps_per_run), from the last run. */
  private secondsPerStep?: number;

  constructor(
    private readonly runner: Runner<SequenceClassifier>,
    private readonly train: EncodedDataset,
    private readonly o: TrainerOptions,
  ) {
    if (stepsPerEpoch(train.size, o) < 1) {
      throw new RangeError(
        `the training split has ${train.size} examples: fewer than batch_size * accumulate_grad_batches (${o.batchSize} * ${o.accumulate}); lower them or add data`,
      );
    }
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

  /** Trains from `start` (epochs done, steps done in the current epoch); returns where it stopped and why. */
  async fit(
    hooks: TrainerHooks,
    start: Position = { epoch: 0, stepInEpoch: 0 },
  ): Promise<Position & { cancelled: boolean; samples: number; reason: StopReason }> {
    const o = this.o;
    const total = this.totalSteps;
    const maxEpochs = this.maxEpochs;
    const schedule = makeSchedule(o.scheduler ?? 'linear', o.learningRate, this.warmupSteps, total);
    const perEpoch = stepsPerEpoch(this.train.size, o);
    let samples = 0;
    for (let epoch = start.epoch; epoch < maxEpochs; epoch++) {
      const epochStart = Date.now();
      const plan = planBatches(this.train, { ...o, epoch }).slice(0, perEpoch * o.accumulate);
      const valAt = validationPoints(plan.length, o.valCheckInterval);
      let stepInEpoch = epoch === start.epoch ? start.stepInEpoch : 0;
      // max_steps may end the run inside this epoch: it then ends (validation, checkpoint) there.
      const epochSteps = Math.min(perEpoch, stepInEpoch + Math.max(0, total - this.runner.globalStep));
      valAt.add(epochSteps * o.accumulate);
      let lossSum = 0,
        lossCount = 0;
      let lastValidation: EvalMetrics | undefined;
      while (stepInEpoch < epochSteps) {
        const { batch, k, seqLens } = this.nextRun(plan, stepInEpoch, epochSteps, valAt);
        const t0 = performance.now();
        const lrs = lrsFor(schedule, this.runner.globalStep, k);
        const { losses, gradNorms, skipped, lossScales } = await this.runner.stepRun(
          this.runner.model.feeds(batch, true),
          lrs,
          seqLens,
        );
        const runSamples = batch.batchSize;
        const seconds = (performance.now() - t0) / 1000;
        this.secondsPerStep = seconds / k;
        const rate = runSamples / Math.max(1e-3, seconds);
        samples += runSamples;
        losses.forEach((loss, i) => {
          const step = this.runner.globalStep - k + i + 1;
          if (!Number.isFinite(loss))
            throw new Error(
              `training diverged: loss is ${loss} at step ${step}; lower learning_rate or enable max_grad_norm${lossScales ? ' (under mixed precision the forward pass overflowed float16: try --precision bf16-mixed on CUDA, or 32)' : ''}`,
            );
          hooks.events.emit({
            type: 'step',
            step,
            epoch: epoch + 1,
            loss,
            lr: lrs[i],
            gradNorm: gradNorms[i],
            ...(lossScales && { skipped: skipped![i], lossScale: lossScales[i] }),
            samplesPerSec: rate,
            time: Date.now() / 1000,
          });
          lossSum += loss;
          lossCount++;
        });
        const before = stepInEpoch * o.accumulate;
        stepInEpoch += k;
        hooks.progress({
          step: this.runner.globalStep,
          totalSteps: this.totalSteps,
          epoch: epoch + 1,
          loss: losses[losses.length - 1],
          samples,
        });
        const after = stepInEpoch * o.accumulate;
        const crossed = [...valAt].some((p) => p > before && p <= after);
        if (crossed) {
          lastValidation = await hooks.validate(epoch + 1, this.runner.globalStep);
          if (lastValidation)
            hooks.events.emit({
              type: 'validation',
              step: this.runner.globalStep,
              epoch: epoch + 1,
              metrics: lastValidation,
              time: Date.now() / 1000,
            });
        }
        if (hooks.signal?.aborted && stepInEpoch < epochSteps)
          return { epoch, stepInEpoch, cancelled: true, samples, reason: 'cancelled' };
      }
      const trainLoss = lossCount ? lossSum / lossCount : NaN;
      hooks.events.emit({
        type: 'epoch',
        step: this.runner.globalStep,
        epoch: epoch + 1,
        trainLoss,
        time: Date.now() / 1000,
      });
      const after = await hooks.epochEnd(epoch + 1, trainLoss, lastValidation, (Date.now() - epochStart) / 1000);
      const last = epoch + 1 >= maxEpochs;
      if (after?.stop && !last)
        return { epoch: epoch + 1, stepInEpoch: 0, cancelled: false, samples, reason: 'early_stopping' };
      if (hooks.signal?.aborted && !last)
        return { epoch: epoch + 1, stepInEpoch: 0, cancelled: true, samples, reason: 'cancelled' };
    }
    const bySteps = !!o.maxSteps && o.maxSteps > 0;
    return {
      epoch: maxEpochs,
      stepInEpoch: 0,
      cancelled: false,
      samples,
      reason: bySteps ? 'max_steps' : 'max_epochs',
    };
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
