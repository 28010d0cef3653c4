// On-disk cache of tokenized splits. Tokenizing IMDB (50k long reviews) takes ~20 s on one core;
// a nightly retrain or a second run on the same datastore, tokenizer and max_length reads the ids
// back instead, with the split's label values and statistics, so a hit reads nothing but the entry.
// The key covers everything the ids depend on, so a stale entry is never used; a corrupt or
// truncated entry is ignored (and rewritten).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileAtomic } from '../util/atomic-write.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import type { EncodedSplit } from '../data/encoded-split.js';

const MAGIC = 'TCLFTOK3';

/** sha256 over the parts, in order (data file hashes, tokenizer, max_length, columns...). */
export function tokenCacheKey(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest('hex');
}

const pathFor = (dir: string, key: string) => join(dir, `${key}.tok`);

interface Header {
  size: number;
  tokens: number;
  mask: boolean;
  labelValues: (string | number)[];
  multi?: number;
  stats: EncodedSplit['stats'];
  columns: EncodedSplit['columns'];
}

/** Writes a tokenized split: its ids, rows, label table indices and statistics. */
export function saveSplit(dir: string, key: string, split: EncodedSplit): void {
  const ds = split.dataset;
  const h: Header = {
    size: ds.size,
    tokens: ds.ids.length,
    mask: ds.attentionMask !== null,
    labelValues: split.labelValues,
    ...(split.multi && { multi: split.multi.idx.length }),
    stats: split.stats,
    columns: split.columns,
  };
  const header = Buffer.from(JSON.stringify(h));
  const parts: Uint8Array[] = [
    Buffer.from(MAGIC),
    u32(header.length),
    header,
    bytes(ds.offsets),
    bytes(ds.ids),
    ds.typeIds,
    ...(ds.attentionMask ? [ds.attentionMask] : []),
    bytes(ds.labels),
    bytes(ds.rows),
    ...(split.multi ? [bytes(split.multi.offsets), bytes(split.multi.idx)] : []),
  ];
  // part by part: no second copy of the ids in memory
  replaceFileAtomic(pathFor(dir, key), (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      for (const p of parts) writeSync(fd, p);
    } finally {
      closeSync(fd);
    }
  });
}

/** The cached split, or undefined when absent or unreadable. */
export function loadSplit(dir: string, key: string): EncodedSplit | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(pathFor(dir, key));
  } catch {
    return undefined;
  }
  try {
    if (buf.subarray(0, 8).toString() !== MAGIC) return undefined;
    const hlen = buf.readUInt32LE(8);
    const h = JSON.parse(buf.subarray(12, 12 + hlen).toString()) as Header;
    let at = 12 + hlen;
    const take = (n: number) => {
      const b = buf.subarray(at, at + n);
      at += n;
      if (b.length !== n) throw new Error('truncated');
      return b;
    };
    const i32 = (n: number) => {
      const b = take(4 * n);
      return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    };
    const u8 = (n: number) => Uint8Array.from(take(n));
    const dataset: EncodedDataset = {
      size: h.size,
      offsets: i32(h.size + 1),
      ids: i32(h.tokens),
      typeIds: u8(h.tokens),
      attentionMask: h.mask ? u8(h.tokens) : null,
      labels: i32(h.size),
      rows: i32(h.size),
    };
    const multi = h.multi !== undefined ? { offsets: i32(h.size + 1), idx: i32(h.multi) } : undefined;
    if (at !== buf.length || dataset.offsets[h.size] !== h.tokens) return undefined;
    return { dataset, labelValues: h.labelValues, ...(multi && { multi }), stats: h.stats, columns: h.columns };
  } catch {
    return undefined;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

const bytes = (a: Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
