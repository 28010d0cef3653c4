import { batches, makeBatch, planBatches, type BatchOptions } from '../../src/data/batching.js';
import { mulberry32 } from '../../src/util/random.js';
import { fromEncodedExamples, type EncodedDataset } from '../../src/data/encoded-dataset.js';
import type { EncodedExample } from '../../src/data/types.js';

const PAD = 0;
// Example i: [101, 1000+i, ..., 102] of length lens[i]; type ids 1 on the second half.
function dataset(lens: number[]): EncodedDataset {
  const ex: EncodedExample[] = lens.map((n, i) => ({
    row: i + 1,
    inputIds: Array.from({ length: n }, (_, t) => (t === 0 ? 101 : t === n - 1 ? 102 : 1000 + i)),
    tokenTypeIds: Array.from({ length: n }, (_, t) => (t >= n / 2 ? 1 : 0)),
    label: i % 3,
  }));
  return fromEncodedExamples(ex);
}
const opts = (o: Partial<BatchOptions>): BatchOptions => ({
  batchSize: 4,
  padding: 'longest',
  maxLength: 64,
  padId: PAD,
  shuffle: false,
  seed: 42,
  ...o,
});
const randLens = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(r() * 126));
};

test('shuffle=false keeps file order, keeps the last partial batch, pads to the longest in the batch', () => {
  const lens = [3, 7, 5, 4, 9, 6, 3, 8, 4, 5];
  const ds = dataset(lens);
  const out = [...batches(ds, opts({}))];
  expect(out.map((b) => b.rows)).toEqual([
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10],
  ]);
  expect(out.map((b) => b.seqLen)).toEqual([7, 9, 5]);
  const b = out[0];
  expect(b.batchSize).toBe(4);
  // row 1 (length 3) padded to 7, row-major
  expect(Array.from(b.inputIds.subarray(0, 7))).toEqual([101n, 1000n, 102n, 0n, 0n, 0n, 0n]);
  expect(Array.from(b.attentionMask.subarray(0, 7))).toEqual([1n, 1n, 1n, 0n, 0n, 0n, 0n]);
  expect(Array.from(b.tokenTypeIds.subarray(0, 7))).toEqual([0n, 0n, 1n, 0n, 0n, 0n, 0n]);
  // row 2 (length 7) fills its row
  expect(Array.from(b.inputIds.subarray(7, 14))).toEqual([101n, 1001n, 1001n, 1001n, 1001n, 1001n, 102n]);
  expect(Array.from(b.labels)).toEqual([0n, 1n, 2n, 0n]);
  expect(b.inputIds).toBeInstanceOf(BigInt64Array);
});

test('padding=max_length pads every batch to max_length; the pad id is used', () => {
  const ds = dataset([3, 5]);
  const [b] = [...batches(ds, opts({ padding: 'max_length', maxLength: 12, padId: 7 }))];
  expect(b.seqLen).toBe(12);
  expect(b.inputIds.length).toBe(24);
  expect(Array.from(b.inputIds.subarray(12, 24))).toEqual([101n, 1001n, 1001n, 1001n, 102n, ...Array(7).fill(7n)]);
});

test('an example longer than max_length is an error naming its row', () => {
  const ds = dataset([3, 20]);
  expect(() => makeBatch(ds, [0, 1], { padding: 'longest', maxLength: 16, padId: 0 })).toThrow(
    /row 2: 20 tokens exceed max_length 16/,
  );
});

test('shuffle: deterministic for a seed, differs across seeds and epochs, every example exactly once', () => {
  const ds = dataset(randLens(1003, 1));
  const o = opts({ shuffle: true, batchSize: 16, maxLength: 200 });
  const a = planBatches(ds, o);
  expect(planBatches(ds, o)).toEqual(a);
  expect(planBatches(ds, { ...o, seed: 43 })).not.toEqual(a);
  expect(planBatches(ds, { ...o, epoch: 1 })).not.toEqual(a);
  const all = a.flat().sort((x, y) => x - y);
  expect(all).toEqual(Array.from({ length: 1003 }, (_, i) => i));
  const sizes = a.map((b) => b.length);
  expect(sizes.filter((s) => s !== 16)).toEqual([1003 % 16]); // one partial batch, kept
});

test('length bucketing cuts padding; the batch order is still shuffled', () => {
  const lens = randLens(4000, 2);
  const ds = dataset(lens);
  const padded = (plan: number[][]) => {
    let real = 0,
      total = 0;
    for (const b of plan) {
      const l = b.map((i) => lens[i]);
      real += l.reduce((x, y) => x + y, 0);
      total += Math.max(...l) * b.length;
    }
    return 1 - real / total;
  };
  const bucketed = planBatches(ds, opts({ shuffle: true, batchSize: 16, maxLength: 200 }));
  const plain = planBatches(ds, opts({ shuffle: false, batchSize: 16, maxLength: 200 })); // random lengths: file order = unbucketed
  expect(padded(bucketed)).toBeLessThan(0.05);
  expect(padded(plain)).toBeGreaterThan(0.3);
  // batch lengths are not in ascending order (batch order shuffled after sorting)
  const maxes = bucketed.map((b) => Math.max(...b.map((i) => lens[i])));
  const ascending = maxes.every((m, i) => i === 0 || maxes[i - 1] <= m);
  expect(ascending).toBe(false);
});

test('attention masks carried by the dataset (pre-tokenized input) are used', () => {
  const ds = fromEncodedExamples([
    { row: 1, inputIds: [101, 5, 0, 102], attentionMask: [1, 1, 0, 1], label: 0 },
    { row: 2, inputIds: [101, 102], label: 1 },
  ]);
  const [b] = [...batches(ds, opts({}))];
  expect(Array.from(b.attentionMask)).toEqual([1n, 1n, 0n, 1n, 1n, 1n, 0n, 0n]);
});

test('one makeBatch over the K batches of a run pads them to their common seqLen without touching the data', () => {
  const ds = dataset([3, 4, 9, 2, 5]);
  const plan = planBatches(ds, opts({ batchSize: 2, padId: 9 }));
  const group = plan.map((idx) => makeBatch(ds, idx, opts({ padId: 9 })));
  expect(group.map((b) => b.seqLen)).toEqual([4, 9, 5]);
  const run = makeBatch(ds, plan.flat(), opts({ padId: 9 }));
  expect(run.seqLen).toBe(9);
  expect(run.batchSize).toBe(5);
  const b0 = run;
  expect(Array.from(b0.inputIds.subarray(0, 9))).toEqual([101n, 1000n, 102n, 9n, 9n, 9n, 9n, 9n, 9n]);
  expect(Array.from(b0.inputIds.subarray(9, 18))).toEqual([101n, 1001n, 1001n, 102n, 9n, 9n, 9n, 9n, 9n]);
  expect(Array.from(b0.attentionMask.subarray(9, 18))).toEqual([1n, 1n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]);
  expect(Array.from(b0.tokenTypeIds.subarray(9, 18))).toEqual([0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]);
  // the batch that was already the longest keeps its data exactly
  expect(Array.from(run.inputIds.subarray(18, 36))).toEqual(Array.from(group[1].inputIds));
  expect(b0.rows).toEqual([1, 2, 3, 4, 5]);
});
