// Evaluation of a tokenized split with an eval graph (the runner's, or a Scorer's for predict and
// evaluate): sample-weighted mean loss, classification metrics (multi-label: sigmoid per label and
// a threshold), and optionally per-row probabilities for a predictions file.
import { limitBatches, type BatchAmount } from '../config/batch-amount.js';
import { makeBatch, planBatches } from '../data/batching.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import type { Batch } from '../data/types.js';
import { argmaxRows, classificationMetrics, softmaxRows } from '../metrics/classification.js';
import { isPredicted, multiLabelMetrics, sigmoid } from '../metrics/multilabel.js';
import type { EvalMetrics } from '../metrics/types.js';
import type { EvalResult } from '../engine/runner.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { SequenceClassifier } from '../models/family.js';
import type { ProblemType } from '../models/loss.js';

export interface Prediction {
  row: number;
  /** Single-label: the true class id (-1 when the data has no labels). */
  label: number;
  /** Single-label: the predicted class id. */
  predicted: number;
  /** softmax (single-label) or sigmoid per label (multi-label). */
  probabilities: Float32Array;
  /** Multi-label: the true and the predicted label ids. */
  labels?: number[];
  predictedLabels?: number[];
}

/** Batches evaluated per runner call. */
const BATCHES_PER_RUN = 16;

function* chunked<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const x of items) {
    chunk.push(x);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

export interface EvalOptions {
  batchSize: number;
  maxLength: number;
  padId: number;
  padding: 'longest' | 'max_length';
  problemType?: ProblemType;
  /** Multi-label decision threshold (default 0.5). */
  threshold?: number;
}

/** What evaluation needs: a Runner, or a Scorer (eval graph only). */
export interface Evaluator {
  readonly model: SequenceClassifier;
  evaluate(batch: MicroBatch): Promise<EvalResult>;
  /** Several batches in one run (the Runner: parameters cross once per call). */
  evaluateMany?(batches: MicroBatch[]): Promise<EvalResult[]>;
}

export async function evaluateSplit(
  runner: Evaluator,
  ds: EncodedDataset,
  labels: string[],
  opts: EvalOptions,
  keepPredictions = false,
  limit?: BatchAmount,
): Promise<{ metrics: EvalMetrics; predictions: Prediction[] }> {
  const k = labels.length;
  const multi = opts.problemType === 'multi_label_classification';
  const threshold = opts.threshold ?? 0.5;
  // File order (no shuffle, no length sorting): predictions stay aligned with the input rows.
  let plan = planBatches(ds, { ...opts, shuffle: false, seed: 0 });
  if (limit) plan = plan.slice(0, limitBatches(plan.length, limit));
  const rows = plan.reduce((a, b) => a + b.length, 0);
  const acc: Tally = {
    k,
    threshold,
    keepPredictions,
    truth: new Int32Array(multi ? rows * k : rows),
    predicted: new Int32Array(multi ? rows * k : rows),
    predictions: [],
    lossSum: 0,
    n: 0,
  };
  for (const part of chunked(plan, BATCHES_PER_RUN)) {
    const chunk = part.map((idx) => makeBatch(ds, idx, opts));
    const results = await evaluateBatches(runner, chunk);
    chunk.forEach((b, j) => {
      if (multi) tallyMultiLabel(acc, b, results[j]);
      else tallySingleLabel(acc, b, results[j]);
      acc.lossSum += (results[j].loss ?? 0) * b.batchSize;
      acc.n += b.batchSize;
    });
  }
  const loss = acc.n ? acc.lossSum / acc.n : 0;
  return {
    metrics: multi
      ? multiLabelMetrics(labels, acc.truth, acc.predicted, loss, threshold)
      : classificationMetrics(labels, acc.truth, acc.predicted, loss),
    predictions: acc.predictions,
  };
}

/** Several batches per run where the evaluator can: the parameters are fed once per run, not per batch. */
async function evaluateBatches(runner: Evaluator, chunk: Batch[]): Promise<EvalResult[]> {
  const feeds = chunk.map((b) => runner.model.feeds(b, true));
  if (runner.evaluateMany) return runner.evaluateMany(feeds);
  const results: EvalResult[] = [];
  for (const f of feeds) results.push(await runner.evaluate(f));
  return results;
}

/** Labels and predictions of the rows so far (multi-label: k 0/1 entries per row). */
interface Tally {
  k: number;
  threshold: number;
  keepPredictions: boolean;
  truth: Int32Array;
  predicted: Int32Array;
  predictions: Prediction[];
  lossSum: number;
  n: number;
}

function tallySingleLabel(t: Tally, b: Batch, r: EvalResult): void {
  const { k, n } = t;
  const probs = t.keepPredictions ? softmaxRows(r.logits, k) : undefined;
  const arg = argmaxRows(r.logits, k);
  for (let i = 0; i < b.batchSize; i++) {
    t.truth[n + i] = Number(b.labels[i]);
    t.predicted[n + i] = arg[i];
    if (t.keepPredictions)
      t.predictions.push({
        row: b.rows[i],
        label: t.truth[n + i],
        predicted: arg[i],
        probabilities: probs!.slice(i * k, (i + 1) * k),
      });
  }
}

function tallyMultiLabel(t: Tally, b: Batch, r: EvalResult): void {
  const { k, n } = t;
  for (let i = 0; i < b.batchSize; i++) {
    const probs = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      probs[c] = sigmoid(r.logits[i * k + c]);
      t.truth[(n + i) * k + c] = b.targets![i * k + c];
      t.predicted[(n + i) * k + c] = isPredicted(probs[c], t.threshold) ? 1 : 0;
    }
    if (!t.keepPredictions) continue;
    const ids = (a: Int32Array) => [...a.subarray((n + i) * k, (n + i + 1) * k)].flatMap((v, c) => (v ? [c] : []));
    t.predictions.push({
      row: b.rows[i],
      label: -1,
      predicted: -1,
      probabilities: probs,
      labels: ids(t.truth),
      predictedLabels: ids(t.predicted),
    });
  }
}
