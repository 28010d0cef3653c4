// Epoch arithmetic of the trainer (Lightning semantics) and val_check_interval placement.
import { batchesPerEpoch, stepsPerEpoch, validationPoints } from '../../src/train/trainer.js';

test('limit_train_batches: a fraction of the epoch (at least one batch) or a count', () => {
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: 1 })).toBe(7);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: 0.5 })).toBe(3);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: 0.01 })).toBe(1);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: 4 })).toBe(4);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: 50 })).toBe(7);
});

test('accumulate_grad_batches: optimizer steps per epoch drop a trailing partial step', () => {
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: 1, accumulate: 1 })).toBe(7);
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: 1, accumulate: 2 })).toBe(3);
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: 1, accumulate: 8 })).toBe(0);
});

test('val_check_interval: fractions of an epoch or every N batches, always at the epoch end', () => {
  expect([...validationPoints(10, 1)]).toEqual([10]);
  expect([...validationPoints(10, 0.25)].sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10]);
  expect([...validationPoints(10, 4)].sort((a, b) => a - b)).toEqual([4, 8, 10]);
});
