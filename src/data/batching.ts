// Padded int64 batches from a tokenized dataset. Training order: shuffle (seeded), sort by length
// inside chunks of ~50 batches so each batch pads little, then shuffle the batch order so lengths
// do not drift through the epoch. shuffle=false keeps file order with no bucketing.
import { lengthOf, type EncodedDataset } from './encoded-dataset.js';
import type { Batch } from './types.js';
import { mulberry32 } from '../util/random.js';

export interface BatchOptions {
  batchSize: number;
  /** 'longest': pad to the batch's longest example; 'max_length': always to maxLength. */
  padding: 'longest' | 'max_length';
  maxLength: number;
  padId: number;
  shuffle: boolean;
  seed: number;
  /** Mixed into the seed so each epoch gets its own (reproducible) order. */
  epoch?: number;
  /** Batches per length-sorting chunk (default 50). */
  bucketBatches?: number;
  /** 'longest': pad up to a multiple of this (at most maxLength), e.g. 8 for float16 tensor cores. */
  padMultiple?: number;
}

/** `len` rounded up to a multiple of `m` (1 or absent: as is), at most `max` (and never below `len`). */
export function paddedLength(len: number, m: number | undefined, max: number): number {
  if (!m || m <= 1) return len;
  return Math.max(len, Math.min(max, Math.ceil(len / m) * m));
}

/** Fisher-Yates in place. */
export function shuffleInPlace<T>(a: T[], rnd: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Example indices of each batch, in the order they are to be run. */
export function planBatches(ds: EncodedDataset, opts: BatchOptions): number[][] {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch_size must be a positive integer, got ${batchSize}`);
  const order = Array.from({ length: ds.size }, (_, i) => i);
  const cut = (idx: number[]) => {
    const out: number[][] = [];
    for (let i = 0; i < idx.length; i += batchSize) out.push(idx.slice(i, i + batchSize));
    return out;
  };
  if (!opts.shuffle) return cut(order);
  // Different epochs must not share a stream; the golden-ratio step decorrelates nearby seeds.
  const rnd = mulberry32((opts.seed + Math.imul(opts.epoch ?? 0, 0x9e3779b9)) >>> 0);
  shuffleInPlace(order, rnd);
  const chunk = batchSize * (opts.bucketBatches ?? 50);
  const batches: number[][] = [];
  for (let c = 0; c < order.length; c += chunk) {
    const part = order.slice(c, c + chunk).sort((x, y) => lengthOf(ds, x) - lengthOf(ds, y));
    batches.push(...cut(part));
  }
  return shuffleInPlace(batches, rnd);
}

/** One padded batch of the given examples. */
export function makeBatch(
  ds: EncodedDataset,
  indices: number[],
  opts: Pick<BatchOptions, 'padding' | 'maxLength' | 'padId' | 'padMultiple'>,
): Batch {
  let longest = 0;
  for (const i of indices) longest = Math.max(longest, lengthOf(ds, i));
  if (longest > opts.maxLength) {
    const i = indices.find((k) => lengthOf(ds, k) > opts.maxLength)!;
    throw new RangeError(
      `row ${ds.rows[i]}: ${lengthOf(ds, i)} tokens exceed max_length ${opts.maxLength}; raise max_length or shorten the input`,
    );
  }
  const seqLen =
    opts.padding === 'max_length'
      ? opts.maxLength
      : paddedLength(Math.max(1, longest), opts.padMultiple, opts.maxLength);
  const n = indices.length;
  const inputIds = new BigInt64Array(n * seqLen).fill(BigInt(opts.padId));
  const attentionMask = new BigInt64Array(n * seqLen);
  const tokenTypeIds = new BigInt64Array(n * seqLen);
  const labels = new BigInt64Array(n);
  const mh = ds.multiHot;
  const targets = mh ? new Float32Array(n * mh.labels) : undefined;
  const rows: number[] = [];
  indices.forEach((ex, b) => {
    const start = ds.offsets[ex];
    const len = lengthOf(ds, ex);
    const base = b * seqLen;
    for (let t = 0; t < len; t++) {
      inputIds[base + t] = BigInt(ds.ids[start + t]);
      tokenTypeIds[base + t] = BigInt(ds.typeIds[start + t]);
      attentionMask[base + t] = ds.attentionMask ? BigInt(ds.attentionMask[start + t]) : 1n;
    }
    labels[b] = BigInt(ds.labels[ex]);
    if (mh) for (let k = 0; k < mh.labels; k++) targets![b * mh.labels + k] = mh.data[ex * mh.labels + k];
    rows.push(ds.rows[ex]);
  });
  return { batchSize: n, seqLen, inputIds, attentionMask, tokenTypeIds, labels, rows, ...(targets ? { targets } : {}) };
}

/** All batches of one epoch, built lazily. */
export function* batches(ds: EncodedDataset, opts: BatchOptions): Generator<Batch> {
  for (const idx of planBatches(ds, opts)) yield makeBatch(ds, idx, opts);
}
