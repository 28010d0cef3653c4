// The accuracy/f1/loss step outputs: test split, else the best validation epoch, else empty.
import { metricOutputs } from '../../src/action/outputs.js';
import { metricsFile } from '../github/fixtures.js';

test('test split first, then the best validation epoch, else empty strings (train loss is not an output)', () => {
  expect(metricOutputs(metricsFile([0.7, 0.9, 0.8]))).toEqual({
    accuracy: '0.8',
    f1: String(0.8 - 0.01),
    loss: String(0.8 - 0.8 / 2),
  });
  expect(metricOutputs(metricsFile([0.7, 0.9, 0.8], { test: false }))).toEqual({
    accuracy: '0.9',
    f1: String(0.9 - 0.01),
    loss: String(0.8 - 0.9 / 2),
  });
  const noEval = metricsFile([0.7], { test: false });
  noEval.epochs = noEval.epochs.map(({ validation: _v, ...e }) => e);
  expect(metricOutputs(noEval)).toEqual({ accuracy: '', f1: '', loss: '' });
});
