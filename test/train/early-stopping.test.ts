// EarlyStopping: the fit ends once `patience` epochs in a row brought no improvement by more than
// min_delta, says why once, and a resumed run goes on counting from the checkpoint's state.
import { join } from 'node:path';
import type { Callback } from '../../src/train/callback.js';
import { EarlyStopping } from '../../src/train/callbacks/index.js';
import { fakeRun, fakeTrainer, metricsWithLoss, stateOf, STEPS_PER_EPOCH } from './fake-run.js';

const MESSAGE =
  'early stopping after epoch 3: validation loss did not improve for 2 epochs (patience 2); best 0.3 at epoch 1';

test('in the default list: patience 2 stops after two epochs without improvement, with the reason', async () => {
  const r = await fakeRun({ maxEpochs: 6, valLoss: [0.3, 0.4, 0.35, 0.1], flags: { early_stopping_patience: 2 } });
  expect(r.end).toMatchObject({
    reason: 'early_stopping',
    epoch: 3,
    cancelled: false,
    trainedSteps: 3 * STEPS_PER_EPOCH,
    stopped: { reason: 'early_stopping', epoch: 3, message: MESSAGE },
  });
  expect(r.lines.filter((l) => l.includes('early stopping'))).toEqual([`notice: ${MESSAGE}`]);
  expect(r.trainer.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
});

test('removed from the list, training runs every epoch', async () => {
  const r = await fakeRun({
    maxEpochs: 6,
    valLoss: [0.3, 0.4, 0.35, 0.1],
    flags: { early_stopping_patience: 2 },
    edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof EarlyStopping)),
  });
  expect(r.end).toMatchObject({ reason: 'max_epochs', epoch: 6 });
});

test('patience 0 adds no EarlyStopping; min_delta: a smaller change is no improvement', async () => {
  const off = await fakeRun({ maxEpochs: 4, valLoss: [0.3, 0.4, 0.5, 0.6] });
  expect(off.trainer.callbacks.find(EarlyStopping)).toBeUndefined();
  expect(off.end.reason).toBe('max_epochs');
  const delta = await fakeRun({
    maxEpochs: 5,
    valLoss: [0.5, 0.45, 0.41, 0.2],
    flags: { early_stopping_patience: 2, early_stopping_min_delta: 0.1 },
  });
  expect(delta.end).toMatchObject({ reason: 'early_stopping', epoch: 3 });
});

test('the stop on the last epoch is said, and the run ends as max_epochs', async () => {
  const r = await fakeRun({ maxEpochs: 2, valLoss: [0.3, 0.4], flags: { early_stopping_patience: 1 } });
  expect(r.end).toMatchObject({ reason: 'max_epochs', epoch: 2, stopped: undefined });
  expect(r.lines.filter((l) => l.startsWith('notice: early stopping after epoch 2'))).toHaveLength(1);
});

test('its state travels in the checkpoint: a resumed run goes on counting the epochs without improvement', async () => {
  const flags = { early_stopping_patience: 2 };
  const first = await fakeRun({ maxEpochs: 2, valLoss: [0.3, 0.4], flags });
  const saved = stateOf(join(first.out, 'checkpoints', 'epoch-2')).callbacks!.EarlyStopping;
  expect(saved).toEqual({ monitor: { epoch: 2, bestEpoch: 1, bestValue: 0.3, reference: 0.3, wait: 1 } });
  const resumed = await fakeRun({
    out: first.out,
    resumeFrom: join(first.out, 'checkpoints', 'epoch-2'),
    maxEpochs: 6,
    valLoss: [0.3, 0.4, 0.35, 0.1],
    flags,
  });
  expect(resumed.end).toMatchObject({ reason: 'early_stopping', epoch: 3 }); // wait 1 + epoch 3 = 2
});

test('a saved state wins over the history it would be rebuilt from', () => {
  const { t, stops } = fakeTrainer({ epochs: [{ epoch: 1, step: 4, trainLoss: 1, seconds: 1 }] });
  const es = new EarlyStopping({ name: 'val_loss', patience: 2, minDelta: 0 });
  es.loadStateDict({ monitor: { epoch: 1, bestEpoch: 1, bestValue: 0.2, reference: 0.2, wait: 1 } });
  es.onFitStart(t);
  const record = { epoch: 2, step: 8, trainLoss: 1, validation: metricsWithLoss(0.25), seconds: 1 };
  es.onEpochEnd(t, { record, event: { type: 'epoch', step: 8, epoch: 2, trainLoss: 1, time: 0 } });
  expect(stops).toEqual([expect.objectContaining({ reason: 'early_stopping', epoch: 2 })]);
});
