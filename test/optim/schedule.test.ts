import { constantSchedule, linearWarmupDecay, lrsFor } from '../../src/optim/schedule.js';

describe('learning-rate schedules (Hugging Face get_linear_schedule_with_warmup)', () => {
  test('warmup 2 of 10 steps: 0 at the first step, peak at step 2, linear decay to 0', () => {
    const s = linearWarmupDecay(1e-3, 2, 10);
    // Hand-computed: step < 2 -> lr*step/2; else lr*(10-step)/8.
    const expected = [0, 5e-4, 1e-3, 8.75e-4, 7.5e-4, 6.25e-4, 5e-4, 3.75e-4, 2.5e-4, 1.25e-4, 0, 0];
    expected.forEach((e, i) => expect(s(i)).toBeCloseTo(e, 15));
  });

  test('no warmup starts at the peak; lrsFor gives the next K values', () => {
    const s = linearWarmupDecay(2e-5, 0, 4);
    expect(lrsFor(s, 0, 5)).toEqual([2e-5, 1.5e-5, 1e-5, 0.5e-5, 0].map((v) => expect.closeTo(v, 18)));
    expect(lrsFor(s, 3, 2)[0]).toBeCloseTo(0.5e-5, 18);
  });

  test('warmup longer than training never exceeds the peak', () => {
    const s = linearWarmupDecay(1, 5, 3);
    expect([0, 1, 2, 3].map(s)).toEqual([0, 0.2, 0.4, 0.6]);
  });

  test('constant schedule and invalid arguments', () => {
    expect(lrsFor(constantSchedule(0.1), 7, 3)).toEqual([0.1, 0.1, 0.1]);
    expect(() => linearWarmupDecay(1, -1, 3)).toThrow(/warmup_steps/);
    expect(() => linearWarmupDecay(1, 1.5, 3)).toThrow(/warmup_steps/);
  });
});
