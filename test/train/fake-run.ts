// A real Trainer with the default callbacks (callbacks/index.ts) over a fake runner: steps cost
// nothing, the loss of step s is 1/s, validation returns the losses a test scripts per epoch, and
// checkpoints are small directories in the layout checkpoint.ts writes (trainer_state.json with the
// state the trainer hands over, optimizer.safetensors and model.safetensors stand-ins), so the
// callbacks' features can be tested one by one in milliseconds. `edit` changes the callback list
// (the tests remove one to see what breaks).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchAmount } from '../../src/config/batch-amount.js';
import { fromEncodedExamples } from '../../src/data/encoded-dataset.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import type { EvalMetrics, MetricsEvent } from '../../src/metrics/types.js';
import type { Callback, FitEnd, TrainerView } from '../../src/train/callback.js';
import {
  Checkpointing,
  defaultCallbacks,
  type CallbackFlags,
  type DefaultCallbackOptions,
} from '../../src/train/callbacks/index.js';
import type { TrainerState } from '../../src/train/checkpoint.js';
import { Trainer, type CheckpointIO } from '../../src/train/trainer.js';
import type { RunResult } from '../../src/train/run-result.js';
import { PhaseClock } from '../../src/train/phases.js';
import { lineLogger, type Logger } from '../../src/util/logger.js';
import { sampleMetrics } from '../report/fixture.js';

export const STEPS_PER_EPOCH = 4;

export const FLAGS: CallbackFlags = {
  save_checkpoints: 'all',
  monitor: 'val_loss',
  early_stopping_patience: 0,
  early_stopping_min_delta: 0,
  test_on: 'best',
  export_dtypes: 'fp32',
  log_file: undefined,
};

/** Validation metrics with this loss (accuracy and F1 1 - loss). */
export function metricsWithLoss(loss: number): EvalMetrics {
  return {
    loss,
    accuracy: 1 - loss,
    precision: 1 - loss,
    recall: 1 - loss,
    f1: 1 - loss,
    perClass: [],
    confusion: [],
    samples: 8,
  };
}

export interface FakeRunOptions {
  /** An output dir to reuse (a resumed run's); default a new temp dir. */
  out?: string;
  maxEpochs?: number;
  flags?: Partial<CallbackFlags>;
  /** Validation loss per epoch (1-based: valLoss[0] is epoch 1's); none: no validation split. */
  valLoss?: number[];
  /** Changes the default callback list (e.g. removes one). */
  edit?: (callbacks: Callback[]) => Callback[];
  /** Callbacks after the default ones. */
  extra?: Callback[];
  defaults?: Partial<DefaultCallbackOptions>;
  /** Resume from this checkpoint dir (as prepare does: its state, epochs and the run's metrics.jsonl). */
  resumeFrom?: string;
  /** Cancel after this global step. */
  cancelAtStep?: number;
  log?: Logger;
}

export interface FakeRun {
  out: string;
  trainer: Trainer;
  end: FitEnd;
  lines: string[];
  /** The checkpoint dirs the IO loaded (the final model's best epoch). */
  loaded: string[];
  /** finish's part: test metrics (step = trained steps), then onRunEnd; returns the result. */
  finish(): Promise<RunResult>;
}

export async function fakeRun(o: FakeRunOptions = {}): Promise<FakeRun> {
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'textclf-fake-run-'));
  const lines: string[] = [];
  const log = o.log ?? lineLogger((l) => lines.push(l));
  const runner = fakeRunner();
  const loaded: string[] = [];
  const controller = new AbortController();
  const flags = { ...FLAGS, ...o.flags };
  const defaults = defaultCallbacks({ flags, outputDir: out, progressSeconds: 3600, ...o.defaults });
  const callbacks = [...(o.edit ? o.edit(defaults) : defaults), ...(o.extra ?? [])];
  if (o.cancelAtStep !== undefined)
    callbacks.push({
      onTrainStepEnd: (_t, e) => {
        if (e.step === o.cancelAtStep) controller.abort();
      },
    });
  const resume = o.resumeFrom ? resumeOf(o.resumeFrom) : undefined;
  if (resume) runner.step = resume.state.step;
  mkdirSync(join(out, 'checkpoints'), { recursive: true });
  const trainer = new Trainer(runner, dataset(), options(o.maxEpochs ?? 3), {
    log,
    callbacks,
    clock: new PhaseClock(),
    signal: controller.signal,
    checkpoints: fakeIO(runner, loaded),
    validate: o.valLoss ? async (epoch) => metricsWithLoss(o.valLoss![epoch - 1] ?? 1) : undefined,
    resume,
  });
  const end = await trainer.fit(
    resume ? { epoch: resume.state.epoch, stepInEpoch: resume.state.stepInEpoch ?? 0 } : undefined,
  );
  return {
    out,
    trainer,
    end,
    lines,
    loaded,
    async finish() {
      if (!end.cancelled) await trainer.tested(metricsWithLoss(0.25), end.trainedSteps);
      const c = trainer.callbacks.find(Checkpointing);
      const run = { ...sampleMetrics().run, cancelled: end.cancelled || undefined, totalSteps: end.trainedSteps };
      const result: RunResult = {
        // metrics.json as the fixture has it, with this run's position and checkpoints
        metrics: sampleMetrics({
          run,
          ...(c && { checkpoints: c.checkpoints, bestEpoch: c.monitor.bestEpoch, finalEpoch: c.finalEpoch }),
        }),
        outputDir: out,
        checkpointDir: join(out, 'checkpoints', end.cancelled ? 'interrupted' : 'final'),
        reportPath: join(out, 'report.md'),
        files: [join(out, 'metrics.json')],
      };
      await trainer.runEnd(result);
      await trainer.teardown();
      return result;
    },
  };
}

/** The trainer_state.json a checkpoint dir holds. */
export function stateOf(dir: string): TrainerState {
  return JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
}

/** The events of a metrics.jsonl. */
export function eventsOf(file: string): MetricsEvent[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsEvent);
}

function resumeOf(dir: string) {
  const state = stateOf(dir);
  const jsonl = join(dir, '..', '..', 'metrics.jsonl');
  const events = existsSync(jsonl) ? eventsOf(jsonl).filter((e) => e.type !== 'test' && e.step <= state.step) : [];
  return { state, epochs: (state.history ?? []).filter((e) => e.epoch <= state.epoch), events };
}

interface FakeRunner {
  step: number;
  readonly model: { feeds(): MicroBatch };
  readonly globalStep: number;
  stepRun(run: MicroBatch, lrs: readonly number[]): Promise<{ losses: number[]; gradNorms: number[] }>;
}

function fakeRunner(): FakeRunner {
  return {
    step: 0,
    model: { feeds: () => ({}) as MicroBatch },
    get globalStep() {
      return this.step;
    },
    async stepRun(_run, lrs) {
      const losses = lrs.map((_, i) => 1 / (this.step + i + 1));
      this.step += lrs.length;
      return { losses, gradNorms: lrs.map(() => 1) };
    },
  };
}

function fakeIO(runner: FakeRunner, loaded: string[]): CheckpointIO {
  return {
    async save(dir, state, dtypes) {
      mkdirSync(join(dir, 'onnx'), { recursive: true });
      const meta: TrainerState = { ...state, labels: ['negative', 'positive'], flags: {} };
      writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify(meta, null, 2));
      writeFileSync(join(dir, 'optimizer.safetensors'), 'adam');
      writeFileSync(join(dir, 'model.safetensors'), `weights at step ${state.step}`);
      for (const d of dtypes ?? ['fp32']) writeFileSync(join(dir, 'onnx', `${d}.onnx`), d);
    },
    load(dir) {
      loaded.push(dir);
      const meta = stateOf(dir);
      runner.step = meta.step;
      return meta;
    },
  };
}

/** 8 examples, batch 2, one step per run: STEPS_PER_EPOCH optimizer steps an epoch, in file order. */
function dataset() {
  return fromEncodedExamples(
    Array.from({ length: 8 }, (_, i) => ({ row: i + 1, inputIds: [101, 200 + i, 102], label: i % 2 })),
  );
}

function options(maxEpochs: number) {
  return {
    maxEpochs,
    batchSize: 2,
    accumulate: 1,
    stepsPerRun: 1,
    maxLength: 8,
    padding: 'longest' as const,
    padId: 0,
    shuffle: false,
    seed: 1,
    learningRate: 1e-3,
    warmupSteps: 0,
    limitTrainBatches: batchAmount('1.0'),
    valCheckInterval: batchAmount('1.0'),
  };
}

/** A TrainerView for one callback's hooks, called by hand; records stops, saves and loads. */
export function fakeTrainer(o: { epochs?: TrainerView['epochs']; step?: number } = {}) {
  const lines: string[] = [];
  const saves: { dir: string; at: Parameters<TrainerView['saveCheckpoint']>[1] }[] = [];
  const stops: Parameters<TrainerView['stop']>[0][] = [];
  const t = {
    log: lineLogger((l) => lines.push(l)),
    clock: new PhaseClock(),
    globalStep: o.step ?? 0,
    totalSteps: 100,
    maxEpochs: 10,
    samples: 0,
    epochs: o.epochs ?? [],
    priorEvents: [],
    stop: (why) => void stops.push(why),
    async saveCheckpoint(dir, at) {
      saves.push({ dir, at });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'optimizer.safetensors'), 'adam');
    },
    loadCheckpoint: () => {
      throw new Error('not loaded here');
    },
  } satisfies TrainerView;
  return { t, lines, saves, stops };
}
