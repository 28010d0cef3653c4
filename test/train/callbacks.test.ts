// The Trainer's hooks: the order they fire in, a new feature as a callback of its own (with state
// saved in and restored from trainer_state.json) without touching the Trainer, and the failure path.
import { join } from 'node:path';
import type { Callback, TrainerView } from '../../src/train/callback.js';
import { Callbacks } from '../../src/train/callback.js';
import type { TrainerState } from '../../src/train/checkpoint.js';
import { fakeRun, fakeTrainer, stateOf } from './fake-run.js';

/** Records every hook it gets, as `hook[:detail]`. */
function recorder(log: string[]): Callback {
  const put = (l: string) => void log.push(l);
  return {
    onLoadCheckpoint: (_t, s) => put(`loadCheckpoint:${s.epoch}`),
    onFitStart: () => put('fitStart'),
    onEpochStart: (_t, e) => put(`epochStart:${e}`),
    onTrainStepEnd: (_t, e) => put(`step:${e.step}`),
    onValidationEnd: (_t, e) => put(`validation:${e.step}`),
    onEpochEnd: (_t, e) => put(`epochEnd:${e.record.epoch}`),
    onSaveCheckpoint: (_t, s) => put(`save:${s.kind}-${s.epoch}`),
    onCancel: () => put('cancel'),
    onFitEnd: (_t, e) => put(`fitEnd:${e.reason}`),
    onTestEnd: () => put('test'),
    onRunEnd: () => put('runEnd'),
    onException: (_t, e) => put(`exception:${(e as Error).message}`),
    teardown: () => put('teardown'),
  };
}

test('hooks fire in order: fit start, per epoch start/steps/validation/end/save, fit end (final saved), test, run end, teardown', async () => {
  const log: string[] = [];
  const r = await fakeRun({ maxEpochs: 2, valLoss: [0.5, 0.4], extra: [recorder(log)] });
  await r.finish();
  const epoch = (n: number, first: number) => [
    `epochStart:${n}`,
    ...[0, 1, 2, 3].map((i) => `step:${first + i}`),
    `validation:${first + 3}`,
    `epochEnd:${n}`,
    `save:epoch-${n}`,
  ];
  expect(log).toEqual([
    'fitStart',
    ...epoch(1, 1),
    ...epoch(2, 5),
    'fitEnd:max_epochs',
    'save:final-2', // Checkpointing fires last: final/ after the other callbacks' onFitEnd
    'test',
    'runEnd',
    'teardown',
  ]);
});

test('cancelled: onCancel (the interrupted state is saved), no fitEnd', async () => {
  const log: string[] = [];
  await fakeRun({ cancelAtStep: 3, extra: [recorder(log)] });
  // Checkpointing fires last: it writes the interrupted state after the other callbacks' onCancel
  expect(log.slice(-3)).toEqual(['step:3', 'cancel', 'save:interrupted-0']);
});

/** A feature the Trainer knows nothing of: counts the steps it saw, across resumes. */
class StepCounter implements Callback {
  readonly stateKey = 'StepCounter';
  seen = 0;
  loadedFrom?: number;
  stateDict() {
    return { seen: this.seen };
  }
  loadStateDict(s: unknown) {
    this.seen = (s as { seen: number }).seen;
  }
  onLoadCheckpoint(_t: TrainerView, state: TrainerState) {
    this.loadedFrom = state.epoch;
  }
  onTrainStepEnd() {
    this.seen++;
  }
}

test('a new feature is a callback: its state goes into trainer_state.json and comes back on resume', async () => {
  const first = await fakeRun({ maxEpochs: 2, extra: [new StepCounter()] });
  expect(stateOf(join(first.out, 'checkpoints', 'epoch-1')).callbacks!.StepCounter).toEqual({ seen: 4 });
  const counter = new StepCounter();
  await fakeRun({
    out: first.out,
    resumeFrom: join(first.out, 'checkpoints', 'epoch-1'),
    maxEpochs: 3,
    extra: [counter],
  });
  expect(counter.loadedFrom).toBe(1);
  expect(counter.seen).toBe(4 + 8); // epochs 2 and 3 on top of the checkpoint's 4
  expect(stateOf(join(first.out, 'checkpoints', 'epoch-3')).callbacks!.StepCounter).toEqual({ seen: 12 });
});

test('callbacks that write checkpoints fire last; two callbacks may not share a state key', async () => {
  const order: string[] = [];
  const a: Callback = { savesCheckpoints: true, onFitStart: () => void order.push('saver') };
  const b: Callback = { onFitStart: () => void order.push('other') };
  const cbs = new Callbacks([a, b]);
  await cbs.fire('onFitStart', fakeTrainer().t);
  expect(order).toEqual(['other', 'saver']);
  expect(() => new Callbacks([new StepCounter(), new StepCounter()])).toThrow(
    'two callbacks have the state key StepCounter; give each its own',
  );
});

test('a failure: onException once on every callback (one that throws there is a warning), then the error', async () => {
  const log: string[] = [];
  const failing: Callback = {
    onEpochEnd: () => {
      throw new Error('disk full');
    },
    onException: () => {
      throw new Error('cleanup failed too');
    },
  };
  const r = fakeRun({ extra: [failing, recorder(log)] });
  await expect(r).rejects.toThrow('disk full');
  expect(log.filter((l) => l.startsWith('exception'))).toEqual(['exception:disk full']);
});
