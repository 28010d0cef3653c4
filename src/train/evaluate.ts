// Evaluation of a tokenized split with the runner's eval graph: sample-weighted mean loss,
// classification metrics, and (optionally) per-row probabilities for a predictions file.
import { batches } from '../data/batching.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import { argmaxRows, classificationMetrics, softmaxRows } from '../metrics/classification.js';
import type { EvalMetrics } from '../metrics/types.js';
import type { Runner } from '../engine/runner.js';
import type { SequenceClassifier } from '../models/family.js';

export interface Prediction {
  row: number;
  label: number;
  predicted: number;
  probabilities: Float32Array;
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
}

export async function evaluateSplit(
  runner: Runner<SequenceClassifier>,
  ds: EncodedDataset,
  labels: string[],
  opts: EvalOptions,
  keepPredictions = false,
): Promise<{ metrics: EvalMetrics; predictions: Prediction[] }> {
  const k = labels.length;
  const truth = new Int32Array(ds.size);
  const predicted = new Int32Array(ds.size);
  const predictions: Prediction[] = [];
  let lossSum = 0,
    n = 0;
  // Sorted by length (no shuffle) would pad less, but file order keeps predictions aligned and cheap to reason about.
  for (const chunk of chunked(batches(ds, { ...opts, shuffle: false, seed: 0 }), BATCHES_PER_RUN)) {
    // Several batches per run: the parameters are fed once per run, not once per batch.
    const results = await runner.evaluateMany(chunk.map((b) => runner.model.feeds(b, true)));
    chunk.forEach((b, j) => {
      const r = results[j];
      const probs = keepPredictions ? softmaxRows(r.logits, k) : undefined;
      const arg = argmaxRows(r.logits, k);
      for (let i = 0; i < b.batchSize; i++) {
        truth[n + i] = Number(b.labels[i]);
        predicted[n + i] = arg[i];
        if (keepPredictions)
          predictions.push({
            row: b.rows[i],
            label: truth[n + i],
            predicted: arg[i],
            probabilities: probs!.slice(i * k, (i + 1) * k),
          });
      }
      lossSum += (r.loss ?? 0) * b.batchSize;
      n += b.batchSize;
    });
  }
  return { metrics: classificationMetrics(labels, truth, predicted, n ? lossSum / n : 0), predictions };
}
