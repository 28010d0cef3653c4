// Multi-label metrics from sigmoid probabilities and 0/1 targets: a label is predicted when its
// probability is >= threshold. sklearn's definitions: subset accuracy (accuracy_score), Hamming
// loss, micro and macro precision/recall/F1 (zero_division=0), per-label scores.
import type { ClassScores, EvalMetrics } from './types.js';

/** `truth` and `predicted` are row-major [rows, labels] 0/1 arrays. */
export function multiLabelMetrics(
  labels: string[],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  loss: number,
  threshold: number,
): EvalMetrics {
  const k = labels.length;
  const n = k ? truth.length / k : 0;
  const tp = new Array<number>(k).fill(0),
    fp = new Array<number>(k).fill(0),
    fn = new Array<number>(k).fill(0);
  let exact = 0,
    wrong = 0;
  for (let r = 0; r < n; r++) {
    let all = true;
    for (let c = 0; c < k; c++) {
      const t = truth[r * k + c] === 1,
        p = predicted[r * k + c] === 1;
      if (t && p) tp[c]++;
      else if (p) fp[c]++;
      else if (t) fn[c]++;
      if (t !== p) {
        all = false;
        wrong++;
      }
    }
    if (all) exact++;
  }
  const ratio = (a: number, b: number) => (b ? a / b : 0);
  const f1Of = (p: number, r: number) => (p + r ? (2 * p * r) / (p + r) : 0);
  const perClass: ClassScores[] = labels.map((label, c) => {
    const precision = ratio(tp[c], tp[c] + fp[c]);
    const recall = ratio(tp[c], tp[c] + fn[c]);
    return { label, precision, recall, f1: f1Of(precision, recall), support: tp[c] + fn[c] };
  });
  const mean = (f: (s: ClassScores) => number) => (k ? perClass.reduce((a, s) => a + f(s), 0) / k : 0);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const microPrecision = ratio(sum(tp), sum(tp) + sum(fp));
  const microRecall = ratio(sum(tp), sum(tp) + sum(fn));
  const subsetAccuracy = ratio(exact, n);
  return {
    loss,
    accuracy: subsetAccuracy,
    precision: mean((s) => s.precision),
    recall: mean((s) => s.recall),
    f1: mean((s) => s.f1),
    perClass,
    confusion: [],
    samples: n,
    multiLabel: {
      threshold,
      subsetAccuracy,
      hammingLoss: ratio(wrong, n * k),
      microPrecision,
      microRecall,
      microF1: f1Of(microPrecision, microRecall),
    },
  };
}

/** The decision rule, shared by evaluation and predict: a label is predicted at or above the threshold. */
export function isPredicted(probability: number, threshold: number): boolean {
  return probability >= threshold;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
