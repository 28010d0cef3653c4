// The monitored metric: best epoch (strictly better, ties keep the earlier) and Lightning's
// EarlyStopping rule (improvement = better by more than min_delta; stop after `patience` without).
import type { EvalMetrics } from '../../src/metrics/types.js';
import { EpochMonitor } from '../../src/train/monitor.js';

const v = (loss: number, accuracy = 0.5, f1 = 0.5) => ({ loss, accuracy, f1 }) as EvalMetrics;

test('val_loss: lowest is best; min_delta decides what counts as an improvement for early stopping', () => {
  const m = new EpochMonitor({ name: 'val_loss', patience: 2, minDelta: 0.1 });
  expect(m.update(1, v(1.0))).toEqual({ best: true });
  expect(m.update(2, v(0.95))).toEqual({ best: true }); // better, but by less than min_delta: wait 1
  const third = m.update(3, v(0.92)); // wait 2 -> stop, best is still epoch 3
  expect(third.best).toBe(true);
  expect(third.stop).toBe(
    'early stopping after epoch 3: validation loss did not improve by more than 0.1 for 2 epochs (patience 2); best 0.92 at epoch 3',
  );
  expect([m.bestEpoch, m.bestValue]).toEqual([3, 0.92]);
});

test('val_accuracy / val_f1 are maximised; ties keep the earlier epoch; an improvement resets the wait', () => {
  const m = new EpochMonitor({ name: 'val_f1', patience: 2, minDelta: 0 });
  m.update(1, v(1, 0, 0.6));
  expect(m.update(2, v(1, 0, 0.6))).toEqual({ best: false }); // tie: wait 1
  expect(m.update(3, v(1, 0, 0.7))).toEqual({ best: true }); // reset
  expect(m.update(4, v(1, 0, 0.65)).stop).toBeUndefined(); // wait 1
  expect(m.update(5, v(1, 0, 0.69)).stop).toMatch(/validation F1 did not improve for 2 epochs/);
  expect(m.bestEpoch).toBe(3);
  expect(new EpochMonitor({ name: 'val_accuracy', patience: 0, minDelta: 0 }).mode).toBe('max');
});

test('patience 0 never stops; epochs without validation compare nothing; history rebuilds the state', () => {
  const m = new EpochMonitor({ name: 'val_loss', patience: 0, minDelta: 0 });
  for (let e = 1; e <= 5; e++) expect(m.update(e, v(1 + e)).stop).toBeUndefined();
  expect(m.update(6, undefined)).toEqual({ best: false });
  const history = [1.0, 0.8, 0.9].map((loss, i) => ({
    epoch: i + 1,
    step: i,
    trainLoss: 1,
    seconds: 1,
    validation: v(loss),
  }));
  const r = EpochMonitor.fromHistory({ name: 'val_loss', patience: 2, minDelta: 0 }, history);
  expect(r.bestEpoch).toBe(2);
  expect(r.update(4, v(0.85)).stop).toMatch(/for 2 epochs/); // epoch 3 already waited once
});
