// Pre-tokenised batches for the encoder families in torch_encoders.py's batches.json format: right
// padding with the model's pad id (attention_mask 0 there), row 0 of each batch unpadded, token ids
// clear of the special ids, and optionally a pad id inside a row where the mask is 1 (HF still
// numbers RoBERTa positions and routes padding_idx by the id, not the mask).
import { mulberry32 } from '../../src/util/random.js';

export interface EncoderBatch {
  input_ids: number[][];
  attention_mask: number[][];
  /** Sentence-pair types (0 then 1 from a random split), for models that take them. */
  token_type_ids?: number[][];
  labels: number[];
}

export function encoderBatches(o: {
  count: number;
  batch: number;
  seq: number;
  vocab: number;
  labels: number;
  pad: number;
  /** First token of every row (<s> / [CLS]). */
  cls: number;
  seed?: number;
  /** Label = f(second token), so training visibly lowers the loss. */
  learnable?: boolean;
  /** Put a pad id at position 3 of row 1 of every batch, mask 1. */
  padInside?: boolean;
  /** Add token_type_ids (a sentence pair per row). */
  types?: boolean;
}): EncoderBatch[] {
  const r = mulberry32(o.seed ?? 7);
  const int = (n: number) => Math.floor(r() * n);
  const token = () => {
    for (;;) {
      const t = 4 + int(o.vocab - 4);
      if (t !== o.pad && t !== o.cls) return t;
    }
  };
  return Array.from({ length: o.count }, () => {
    const b: EncoderBatch = { input_ids: [], attention_mask: [], labels: [] };
    for (let i = 0; i < o.batch; i++) {
      const len = i === 0 ? o.seq : 3 + int(o.seq - 3);
      const ids = Array.from({ length: o.seq }, (_, t) => (t === 0 ? o.cls : t < len ? token() : o.pad));
      if (o.padInside && i === 1 && len > 4) ids[3] = o.pad;
      b.input_ids.push(ids);
      b.attention_mask.push(Array.from({ length: o.seq }, (_, t) => (t < len ? 1 : 0)));
      if (o.types) {
        const split = 1 + int(len - 1);
        (b.token_type_ids ??= []).push(Array.from({ length: o.seq }, (_, t) => (t >= split && t < len ? 1 : 0)));
      }
      b.labels.push(o.learnable ? ids[1] % o.labels : int(o.labels));
    }
    return b;
  });
}
