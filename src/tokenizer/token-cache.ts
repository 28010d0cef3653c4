// On-disk cache of tokenized splits. Tokenizing IMDB (50k long reviews) takes ~20 s on one core;
// a nightly retrain or a second run on the same datastore, tokenizer and max_length reads the ids
// back instead. The key covers everything the ids depend on, so a stale entry is never used; a
// corrupt or truncated entry is ignored (and rewritten).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileAtomic } from '../util/atomic-write.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';

const MAGIC = 'TCLFTOK1';

/** sha256 over the parts, in order (data file hash, tokenizer, max_length, columns, labels...). */
export function tokenCacheKey(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest('hex');
}

const pathFor = (dir: string, key: string) => join(dir, `${key}.tok`);

export function saveEncoded(dir: string, key: string, ds: EncodedDataset): void {
  const header = Buffer.from(JSON.stringify({ size: ds.size, tokens: ds.ids.length, mask: ds.attentionMask !== null }));
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
  ];
  replaceFileAtomic(pathFor(dir, key), (tmp) => writeFileSync(tmp, Buffer.concat(parts)));
}

/** The cached dataset, or undefined when absent or unreadable. */
export function loadEncoded(dir: string, key: string): EncodedDataset | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(pathFor(dir, key));
  } catch {
    return undefined;
  }
  try {
    if (buf.subarray(0, 8).toString() !== MAGIC) return undefined;
    const hlen = buf.readUInt32LE(8);
    const { size, tokens, mask } = JSON.parse(buf.subarray(12, 12 + hlen).toString()) as {
      size: number;
      tokens: number;
      mask: boolean;
    };
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
    const ds: EncodedDataset = {
      size,
      offsets: i32(size + 1),
      ids: i32(tokens),
      typeIds: u8(tokens),
      attentionMask: mask ? u8(tokens) : null,
      labels: i32(size),
      rows: i32(size),
    };
    if (at !== buf.length || ds.offsets[size] !== tokens) return undefined;
    return ds;
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
