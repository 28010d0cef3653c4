// Trainer callbacks, in the shape of Lightning's: every feature of a run (checkpoints, early
// stopping, metrics files, TensorBoard, progress, the Hub push, the action's artifact and summary)
// is one Callback with its own state, and the Trainer only fires hooks on its list, in order. A new
// feature is a new callback; the Trainer does not change.
//
// A run fires, top to bottom:
//   onLoadCheckpoint (resuming: after each callback's loadStateDict)
//   onFitStart
//     onEpochStart -> onTrainStepEnd (each optimizer step) -> onValidationEnd (at val_check_interval)
//     -> onEpochEnd (the epoch's record; Checkpointing saves, EarlyStopping may stop the fit)
//     onSaveCheckpoint (after each checkpoint is written)
//   onCancel (cancelled: the interrupted state) | onFitEnd (finished: the final model)
//   onTestEnd -> onRunEnd (metrics.json written: files, pushes, reports)
//   onException (the run failed), teardown (always)
// Callbacks with state (stateKey) save it into trainer_state.json's `callbacks` (stateDict) and get
// it back on resume (loadStateDict) before onLoadCheckpoint.
import type { ExportDtype } from '../models/export.js';
import type { EpochRecord, MetricsEvent, MetricsFile } from '../metrics/types.js';
import type { ScalerState } from '../engine/runner.js';
import type { Logger } from '../util/logger.js';
import type { TrainerState } from './checkpoint.js';
import type { PhaseClock } from './phases.js';
import type { RunResult } from './run-result.js';

export type StepEvent = Extract<MetricsEvent, { type: 'step' }>;
export type ValidationEvent = Extract<MetricsEvent, { type: 'validation' }>;
export type EpochEvent = Extract<MetricsEvent, { type: 'epoch' }>;
export type TestEvent = Extract<MetricsEvent, { type: 'test' }>;

/** Why fit returned. */
export type StopReason = 'max_epochs' | 'max_steps' | 'early_stopping' | 'cancelled';
export type Stopped = NonNullable<MetricsFile['stopped']>;

export interface Position {
  epoch: number;
  stepInEpoch: number;
}

export interface FitEnd extends Position {
  cancelled: boolean;
  /** Training examples of this fit (a resumed run's earlier ones not included). */
  samples: number;
  reason: StopReason;
  /** Why training ended before max_epochs (early stopping, max_steps). */
  stopped?: Stopped;
  /** Optimizer steps when training ended (loading the best epoch afterwards moves the runner back). */
  trainedSteps: number;
  /** The loss scaler when training ended (mixed precision). */
  scaler?: ScalerState;
}

export interface EpochEnd {
  event: EpochEvent;
  /** The epoch's record, already in the trainer's history; Checkpointing sets its `checkpoint`. */
  record: EpochRecord;
}

export interface CheckpointAt {
  kind: 'epoch' | 'final' | 'interrupted';
  /** Epochs completed (trainer_state.json's `epoch`). */
  epoch: number;
  /** Optimizer steps done in the next epoch (a mid-epoch interrupted state). */
  stepInEpoch?: number;
  /** ONNX exports under onnx/ (default: model.onnx only). */
  dtypes?: readonly ExportDtype[];
}

/** What a callback sees of the trainer (tests pass a fake). */
export interface TrainerView {
  readonly log: Logger;
  readonly clock: PhaseClock;
  /** Optimizer steps done, a resumed run's included. */
  readonly globalStep: number;
  readonly totalSteps: number;
  readonly maxEpochs: number;
  /** Training examples seen by this fit so far. */
  readonly samples: number;
  /** Every finished epoch, a resumed run's earlier ones first (trainer_state.json's history). */
  readonly epochs: EpochRecord[];
  /** The resumed run's metrics stream up to its checkpoint (empty for a fresh run). */
  readonly priorEvents: readonly MetricsEvent[];
  /** The checkpoint's trainer state, when resuming. */
  readonly resumedFrom?: TrainerState;
  /** Ends the fit after this epoch (early stopping); the trainer says why, once. */
  stop(why: Stopped): void;
  /** Writes a checkpoint of the current state (every callback's state included), then fires onSaveCheckpoint. */
  saveCheckpoint(dir: string, at: CheckpointAt): Promise<void>;
  /** Puts a checkpoint's weights and optimizer state into the runner; returns its trainer state. */
  loadCheckpoint(dir: string): TrainerState;
}

type Hook<A extends unknown[] = []> = (t: TrainerView, ...args: A) => void | Promise<void>;

export interface Callback {
  /** Its key in trainer_state.json's `callbacks`, when it has state (Lightning's state_key). */
  readonly stateKey?: string;
  /** It writes checkpoints: it fires after every other callback (see Callbacks). */
  readonly savesCheckpoints?: boolean;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  onLoadCheckpoint?: Hook<[state: TrainerState]>;
  onFitStart?: Hook;
  onEpochStart?: Hook<[epoch: number]>;
  onTrainStepEnd?: Hook<[e: StepEvent]>;
  onValidationEnd?: Hook<[e: ValidationEvent]>;
  onEpochEnd?: Hook<[e: EpochEnd]>;
  onSaveCheckpoint?: Hook<[saved: CheckpointAt & { dir: string }]>;
  onCancel?: Hook<[end: FitEnd]>;
  onFitEnd?: Hook<[end: FitEnd]>;
  onTestEnd?: Hook<[e: TestEvent]>;
  /** metrics.json is written; a callback may add to the result (its files, the Hub's outcome). */
  onRunEnd?: Hook<[result: RunResult]>;
  onException?: Hook<[error: unknown]>;
  teardown?: Hook;
}

type HookName = Exclude<keyof Callback, 'stateKey' | 'savesCheckpoints' | 'stateDict' | 'loadStateDict'>;
type HookArgs<K extends HookName> = NonNullable<Callback[K]> extends Hook<infer A> ? A : never;

/**
 * The callbacks of one trainer, fired in list order, except that those that write checkpoints
 * fire last (Lightning's rule): a checkpoint then holds every other callback's state as that same
 * hook left it (EarlyStopping's count of the epoch just ended, say).
 */
export class Callbacks {
  readonly list: readonly Callback[];

  constructor(list: readonly Callback[]) {
    this.list = [...list.filter((c) => !c.savesCheckpoints), ...list.filter((c) => c.savesCheckpoints)];
    const keys = list.flatMap((c) => (c.stateKey ? [c.stateKey] : []));
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice) throw new Error(`two callbacks have the state key ${twice}; give each its own`);
  }

  async fire<K extends HookName>(hook: K, t: TrainerView, ...args: HookArgs<K>): Promise<void> {
    for (const c of this.list) {
      const fn = c[hook] as Hook<HookArgs<K>> | undefined;
      if (fn) await fn.call(c, t, ...args);
    }
  }

  /** Fires a hook on every callback although some throw (failure paths): each error is a warning. */
  async fireAll<K extends 'onException' | 'teardown'>(hook: K, t: TrainerView, ...args: HookArgs<K>): Promise<void> {
    for (const c of this.list) {
      const fn = c[hook] as Hook<HookArgs<K>> | undefined;
      try {
        if (fn) await fn.call(c, t, ...args);
      } catch (e) {
        t.log.warning(`${c.constructor.name}.${hook} failed: ${(e as Error).message}`);
      }
    }
  }

  /** Every stateful callback's state, by its key (trainer_state.json's `callbacks`). */
  states(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.list) if (c.stateKey && c.stateDict) out[c.stateKey] = c.stateDict();
    return out;
  }

  /** Hands each stateful callback its saved state (a checkpoint written before callbacks had none: nothing). */
  load(states: Record<string, unknown> | undefined): void {
    for (const c of this.list)
      if (c.stateKey && c.loadStateDict && states?.[c.stateKey] !== undefined) c.loadStateDict(states[c.stateKey]);
  }

  /** The first callback of a class (the host's handle on, say, Checkpointing's results). */
  find<T extends Callback>(cls: abstract new (...args: never[]) => T): T | undefined {
    return this.list.find((c): c is T => c instanceof cls);
  }
}
