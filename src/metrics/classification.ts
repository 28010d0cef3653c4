// Classification metrics from predictions: accuracy, macro precision/recall/F1, per-class scores,
// confusion matrix (rows = true label, columns = prediction).
import type { ClassScores, EvalMetrics } from './types.js';

export function classificationMetrics(
  labels: string[],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  loss: number,
): EvalMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) confusion[truth[i]][predicted[i]]++;
  let correct = 0;
  const perClass: ClassScores[] = labels.map((label, c) => {
    const tp = confusion[c][c];
    correct += tp;
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((a, row) => a + row[c], 0);
    // sklearn's zero_division=0 convention: an undefined ratio counts as 0.
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const mean = (f: (s: ClassScores) => number) => (k ? perClass.reduce((a, s) => a + f(s), 0) / k : 0);
  return {
    loss,
    accuracy: truth.length ? correct / truth.length : 0,
    precision: mean((s) => s.precision),
    recall: mean((s) => s.recall),
    f1: mean((s) => s.f1),
    perClass,
    confusion,
    samples: truth.length,
  };
}

/** Row-wise softmax of [n, k] logits. */
export function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[r * k + c] = Math.exp(logits[r * k + c] - max);
    for (let c = 0; c < k; c++) out[r * k + c] /= sum;
  }
  return out;
}

export function argmaxRows(values: Float32Array, k: number): Int32Array {
  const out = new Int32Array(values.length / k);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (values[r * k + c] > values[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}
