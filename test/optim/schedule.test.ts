import {
  constantSchedule,
  constantWithWarmup,
  cosineWarmupDecay,
  linearWarmupDecay,
  lrsFor,
  makeSchedule,
  warmupStepsFor,
} from '../../src/optim/schedule.js';

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

describe('cosine and constant schedules (Hugging Face get_cosine_schedule_with_warmup / get_constant_schedule_with_warmup)', () => {
  test("cosine, warmup 2 of 10 steps: the values of HF's lambda (computed with Python's math)", () => {
    const expected = [
      0.0, 0.5, 1.0, 0.961939766255643, 0.853553390593274, 0.691341716182545, 0.5, 0.308658283817455, 0.146446609406726,
      0.038060233744357, 0.0,
    ];
    const s = cosineWarmupDecay(2e-5, 2, 10);
    expected.forEach((e, i) => expect(s(i)).toBeCloseTo(2e-5 * e, 18));
    expect(makeSchedule('cosine', 2e-5, 2, 10)(4)).toBe(s(4));
  });

  test('constant_with_warmup rises like the linear warmup, then stays; constant ignores warmup', () => {
    expect([0, 1, 2, 3, 4, 5].map(constantWithWarmup(3, 3))).toEqual([0, 1, 2, 3, 3, 3]);
    expect([0, 7].map(makeSchedule('constant', 0.1, 3, 10))).toEqual([0.1, 0.1]);
    expect(makeSchedule('constant_with_warmup', 0.1, 3, 10)(1)).toBeCloseTo(0.1 / 3, 15);
    expect(makeSchedule('linear', 1, 2, 10)(3)).toBe(linearWarmupDecay(1, 2, 10)(3));
  });

  test('warmup_ratio: ceil(total * ratio) unless warmup_steps > 0 (HF TrainingArguments.get_warmup_steps)', () => {
    expect(warmupStepsFor(0, 0.25, 10)).toBe(3);
    expect(warmupStepsFor(0, 0.3, 7)).toBe(3);
    expect(warmupStepsFor(5, 0.3, 7)).toBe(5);
    expect(warmupStepsFor(0, 0, 7)).toBe(0);
    expect(() => cosineWarmupDecay(1, -1, 3)).toThrow(/warmup_steps/);
  });
});
