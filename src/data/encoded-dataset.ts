// Token ids of a whole dataset in flat typed arrays (one Int32Array of ids plus offsets), so 50k
// long documents cost ~4 bytes per token instead of a JS array per example. Tokenized once.
import type { EncodedExample } from './types.js';

export interface EncodedDataset {
  /** Number of examples. */
  size: number;
  /** Example i's tokens are ids[offsets[i] .. offsets[i+1]). */
  offsets: Int32Array;
  ids: Int32Array;
  typeIds: Uint8Array;
  /** null when every token is attended (tokenized text); pre-tokenized files may carry masks. */
  attentionMask: Uint8Array | null;
  labels: Int32Array;
  rows: Int32Array;
  /** Multi-label: 0/1 targets, row-major [size, labels] (then `labels` is unused). */
  multiHot?: { labels: number; data: Uint8Array };
}

/** Growable flat storage; `finish` trims to size. */
export class EncodedDatasetBuilder {
  private n = 0;
  private len = 0;
  private offsets = new Int32Array(1024);
  private ids = new Int32Array(1 << 16);
  private typeIds = new Uint8Array(1 << 16);
  private mask: Uint8Array | null = null;
  private labels = new Int32Array(1024);
  private rows = new Int32Array(1024);

  add(row: number, label: number, ids: ArrayLike<number>, typeIds?: ArrayLike<number>, mask?: ArrayLike<number>): void {
    if (this.n + 2 > this.offsets.length) {
      this.offsets = grow(this.offsets, this.n + 2);
      this.labels = grow(this.labels, this.n + 1);
      this.rows = grow(this.rows, this.n + 1);
    }
    const end = this.len + ids.length;
    if (end > this.ids.length) {
      this.ids = grow(this.ids, end);
      this.typeIds = grow(this.typeIds, end);
      if (this.mask) this.mask = grow(this.mask, end);
    }
    if (mask && !this.mask) this.mask = new Uint8Array(this.ids.length).fill(1, 0, this.len);
    this.ids.set(ids, this.len);
    if (typeIds) this.typeIds.set(typeIds, this.len);
    else this.typeIds.fill(0, this.len, end);
    if (this.mask) {
      if (mask) this.mask.set(mask, this.len);
      else this.mask.fill(1, this.len, end);
    }
    this.labels[this.n] = label;
    this.rows[this.n] = row;
    this.n++;
    this.len = end;
    this.offsets[this.n] = end;
  }

  finish(): EncodedDataset {
    return {
      size: this.n,
      offsets: this.offsets.slice(0, this.n + 1),
      ids: this.ids.slice(0, this.len),
      typeIds: this.typeIds.slice(0, this.len),
      attentionMask: this.mask ? this.mask.slice(0, this.len) : null,
      labels: this.labels.slice(0, this.n),
      rows: this.rows.slice(0, this.n),
    };
  }
}

function grow<T extends Int32Array | Uint8Array>(a: T, need: number): T {
  let cap = a.length * 2;
  while (cap < need) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** Flat storage from per-example arrays (tests, small inputs). */
export function fromEncodedExamples(examples: EncodedExample[]): EncodedDataset {
  const b = new EncodedDatasetBuilder();
  for (const e of examples) b.add(e.row, e.label, e.inputIds, e.tokenTypeIds, e.attentionMask);
  return b.finish();
}

/** Length (tokens) of example i. */
export const lengthOf = (d: EncodedDataset, i: number): number => d.offsets[i + 1] - d.offsets[i];
