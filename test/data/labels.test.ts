// Label maps and dataset stats.
import { applyLabelMap, buildLabelMap, labelConfig, labelMapFromLabels } from '../../src/data/labels.js';
import { datasetStats, percentile } from '../../src/data/stats.js';
import { DataFileError } from '../../src/data/readers/index.js';
import type { Example } from '../../src/data/types.js';

const ex = (row: number, label: string | number, text = 'x'): Example => ({ row, text, label });

test('string labels sort by code point, whatever the order they appear in', () => {
  const a = buildLabelMap([ex(1, 'positive'), ex(2, 'negative'), ex(3, 'Neutral'), ex(4, 'positive')]);
  const b = buildLabelMap([ex(1, 'Neutral'), ex(2, 'positive'), ex(3, 'negative')]);
  expect(a.labels).toEqual(['Neutral', 'negative', 'positive']);
  expect(b).toEqual(a);
  expect(a.label2id).toEqual({ Neutral: 0, negative: 1, positive: 2 });
});

test('integer labels sort numerically; mixed labels sort as strings', () => {
  expect(buildLabelMap([ex(1, 10), ex(2, 2), ex(3, 1)]).labels).toEqual(['1', '2', '10']);
  expect(buildLabelMap([ex(1, 10), ex(2, 'b'), ex(3, 2)]).labels).toEqual(['10', '2', 'b']);
});

test('applyLabelMap gives ids; an unseen label names the label, row and file', () => {
  const map = buildLabelMap([ex(1, 'neg'), ex(2, 'pos')]);
  expect(Array.from(applyLabelMap([ex(1, 'pos'), ex(2, 'neg')], map, 'valid.csv'))).toEqual([1, 0]);
  const intMap = labelMapFromLabels(['0', '1']);
  expect(Array.from(applyLabelMap([ex(1, 1), ex(2, 0)], intMap, 'v.csv'))).toEqual([1, 0]);
  expect(() => applyLabelMap([ex(1, 'pos'), ex(7, 'neutral')], map, 'test.csv')).toThrow(DataFileError);
  expect(() => applyLabelMap([ex(1, 'pos'), ex(7, 'neutral')], map, 'test.csv')).toThrow(
    /test\.csv: row 7 has label 'neutral', which the training data does not have \(known: 'neg', 'pos'\)/,
  );
});

test('labelConfig is the Hugging Face id2label/label2id pair', () => {
  expect(labelConfig(labelMapFromLabels(['negative', 'positive']))).toEqual({
    id2label: { 0: 'negative', 1: 'positive' },
    label2id: { negative: 0, positive: 1 },
  });
});

test('datasetStats: rows, label counts and nearest-rank length percentiles in characters', () => {
  const train = Array.from({ length: 100 }, (_, i) => ex(i + 1, i < 30 ? 'neg' : 'pos', 'a'.repeat(i + 1)));
  const valid = [ex(1, 'pos', '😀😀'), { ...ex(2, 'neg', 'ab'), textPair: 'cde' }];
  const s = datasetStats({ train, valid, test: undefined });
  expect(s.rows).toEqual({ train: 100, valid: 2 });
  expect(s.labels).toEqual({ train: { neg: 30, pos: 70 }, valid: { neg: 1, pos: 1 } });
  expect(s.textLength.train).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
  expect(s.textLength.valid).toEqual({ p50: 2, p90: 5, p99: 5, max: 5 });
  expect(percentile([], 50)).toBe(0);
});

test('datasetStats counts labels named like Object.prototype members', () => {
  const s = datasetStats({ train: [ex(1, 'toString'), ex(2, 'constructor'), ex(3, 'toString')] });
  expect(s.labels.train).toEqual({ constructor: 1, toString: 2 });
});
