// Deterministic pre-tokenised batches in torch_bert.py's batches.json format, with padding
// (attention_mask 0 at the end of shorter rows) and sentence-pair token types.
import { mulberry32 } from '../../src/util/random.js';

export interface JsonBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  labels: number[];
}

/** `learnable`: the label is a function of the second token, so a few steps visibly reduce the loss. */
export function makeBatches(opts: {
  count: number;
  batch: number;
  seq: number;
  vocab: number;
  labels: number;
  seed?: number;
  learnable?: boolean;
}): JsonBatch[] {
  const r = mulberry32(opts.seed ?? 7);
  const int = (n: number) => Math.floor(r() * n);
  return Array.from({ length: opts.count }, () => {
    const b: JsonBatch = { input_ids: [], attention_mask: [], token_type_ids: [], labels: [] };
    for (let i = 0; i < opts.batch; i++) {
      const len = i === 0 ? opts.seq : 2 + int(opts.seq - 1); // row 0 unpadded, others padded
      const split = 1 + int(len - 1);
      b.input_ids.push(
        Array.from({ length: opts.seq }, (_, t) =>
          t === 0 ? 101 % opts.vocab : t < len ? 1 + int(opts.vocab - 1) : 0,
        ),
      );
      b.attention_mask.push(Array.from({ length: opts.seq }, (_, t) => (t < len ? 1 : 0)));
      b.token_type_ids.push(Array.from({ length: opts.seq }, (_, t) => (t >= split && t < len ? 1 : 0)));
      const y = int(opts.labels);
      b.labels.push(opts.learnable ? b.input_ids[i][1] % opts.labels : y);
    }
    return b;
  });
}

export function int64(rows: number[][]): BigInt64Array {
  return BigInt64Array.from(rows.flat().map((v) => BigInt(v)));
}
