import { argmaxRows, classificationMetrics, softmaxRows } from '../../src/metrics/classification.js';

test('classification metrics match hand-computed values (3 classes, one never predicted)', () => {
  // truth:     a a a b b c
  // predicted: a a b b a a
  const m = classificationMetrics(['a', 'b', 'c'], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 0], 0.5);
  expect(m.confusion).toEqual([
    [2, 1, 0],
    [1, 1, 0],
    [1, 0, 0],
  ]);
  expect(m.accuracy).toBeCloseTo(3 / 6);
  // a: P = 2/4, R = 2/3; b: P = 1/2, R = 1/2; c: P = 0 (never predicted), R = 0
  const fa = (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3);
  expect(m.perClass[0]).toMatchObject({ label: 'a', support: 3 });
  expect(m.perClass[0].precision).toBeCloseTo(0.5);
  expect(m.perClass[0].recall).toBeCloseTo(2 / 3);
  expect(m.precision).toBeCloseTo((0.5 + 0.5 + 0) / 3);
  expect(m.recall).toBeCloseTo((2 / 3 + 0.5 + 0) / 3);
  expect(m.f1).toBeCloseTo((fa + 0.5 + 0) / 3);
  expect(m.samples).toBe(6);
});

test('softmax and argmax by row', () => {
  const p = softmaxRows(Float32Array.from([0, Math.log(3), 5, 1]), 2);
  expect(p[0]).toBeCloseTo(0.25);
  expect(p[1]).toBeCloseTo(0.75);
  expect(Array.from(argmaxRows(Float32Array.from([0, 1, 5, 1, 2, 2]), 2))).toEqual([1, 0, 0]);
});
