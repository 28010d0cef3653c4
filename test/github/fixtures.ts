// MetricsFile builders for ChatOps tests (the shape the trainer writes as metrics.json).
import type { EvalMetrics, MetricsFile } from '../../src/metrics/types.js';

export function evalMetrics(accuracy: number, f1: number, loss: number): EvalMetrics {
  return {
    loss,
    accuracy,
    f1,
    precision: f1,
    recall: f1,
    samples: 200,
    perClass: [
      { label: 'negative', precision: f1, recall: f1, f1, support: 100 },
      { label: 'positive', precision: f1, recall: f1, f1, support: 100 },
    ],
    confusion: [
      [Math.round(accuracy * 100), 100 - Math.round(accuracy * 100)],
      [100 - Math.round(accuracy * 100), Math.round(accuracy * 100)],
    ],
  };
}

/** `epochs` validation accuracies; the last one is also the test result unless test is false. */
export function metricsFile(
  accuracies: number[],
  opts: { flags?: Record<string, string | number | boolean>; test?: boolean; model?: string } = {},
): MetricsFile {
  const epochs = accuracies.map((a, i) => ({
    epoch: i + 1,
    step: (i + 1) * 50,
    trainLoss: 0.7 - 0.1 * (i + 1),
    seconds: 12.5,
    validation: evalMetrics(a, a - 0.01, 0.8 - a / 2),
  }));
  const last = accuracies[accuracies.length - 1];
  return {
    version: 1,
    labels: ['negative', 'positive'],
    run: {
      model: opts.model ?? 'bert-tiny',
      flags: { max_epochs: accuracies.length, ...opts.flags },
      device: 'cpu',
      startedAt: '2026-11-26T00:00:00Z',
      totalSteps: accuracies.length * 50,
      numParameters: 4_386_178,
      wallSeconds: 25 * accuracies.length,
    },
    epochs,
    bestEpoch: accuracies.indexOf(Math.max(...accuracies)) + 1,
    test: opts.test === false ? undefined : evalMetrics(last, last - 0.01, 0.8 - last / 2),
    checkpoints: [{ epoch: 'final', path: 'final' }],
  };
}
