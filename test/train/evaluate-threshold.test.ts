// Multi-label evaluation decides each label by probability >= threshold (isPredicted, which predict
// uses too): a probability exactly on the threshold is a predicted label (the default 0.5, where
// the logit is 0, and a chosen one).
import { fromEncodedExamples } from '../../src/data/encoded-dataset.js';
import type { Batch } from '../../src/data/types.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { sigmoid } from '../../src/metrics/multilabel.js';
import type { SequenceClassifier } from '../../src/models/family.js';
import { evaluateSplit, type Evaluator } from '../../src/train/evaluate.js';

const LABELS = ['a', 'b'];

/** An evaluator whose logits for a row are `logits[first token id]`, the same for both labels. */
function fakeEvaluator(logits: Record<number, number>): Evaluator {
  const model = {
    feeds: (b: Batch) => ({ input_ids: { data: b.inputIds, dims: [b.batchSize, b.inputIds.length / b.batchSize] } }),
  } as unknown as SequenceClassifier;
  return {
    model,
    evaluate: async (mb: MicroBatch) => {
      const [n, seq] = mb.input_ids.dims;
      const ids = mb.input_ids.data as BigInt64Array;
      const out = new Float32Array(n * LABELS.length);
      for (let i = 0; i < n; i++) out.fill(logits[Number(ids[i * seq])], i * 2, i * 2 + 2);
      return { logits: out, dims: [n, LABELS.length], loss: 0 };
    },
  };
}

/** Rows starting with token 7, both labels true. */
function dataset(rows: number) {
  const ds = fromEncodedExamples(Array.from({ length: rows }, (_, row) => ({ row, inputIds: [7, 8], label: 0 })));
  return { ...ds, multiHot: { labels: LABELS.length, data: new Uint8Array(rows * LABELS.length).fill(1) } };
}

const opts = { batchSize: 2, maxLength: 8, padId: 0, padding: 'longest' as const };

test.each([
  ['the default 0.5 (logit 0)', 0, undefined],
  ['a chosen threshold (the float32 probability of logit 1.25)', 1.25, Math.fround(sigmoid(Math.fround(1.25)))],
])('a probability exactly on %s predicts the label', async (_, logit, threshold) => {
  const { metrics, predictions } = await evaluateSplit(
    fakeEvaluator({ 7: logit }),
    dataset(3),
    LABELS,
    { ...opts, problemType: 'multi_label_classification', threshold },
    true,
  );
  expect(predictions.map((p) => p.probabilities[0])).toEqual([0, 1, 2].map(() => threshold ?? 0.5));
  expect(predictions.map((p) => p.predictedLabels)).toEqual([0, 1, 2].map(() => [0, 1]));
  expect(metrics.multiLabel).toMatchObject({ subsetAccuracy: 1, hammingLoss: 0 });
});

test('just below the threshold does not', async () => {
  const { predictions } = await evaluateSplit(
    fakeEvaluator({ 7: -1e-6 }),
    dataset(1),
    LABELS,
    {
      ...opts,
      problemType: 'multi_label_classification',
    },
    true,
  );
  expect(predictions[0]!.predictedLabels).toEqual([]);
});
