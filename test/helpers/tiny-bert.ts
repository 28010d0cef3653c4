// The tiny BERT the engine tests train (the registry helper's tiny config at hidden 32, vocab 50)
// and its random batches: padded rows of 4..S-1 tokens starting with [CLS] = 1, labels over 3 classes.
import { parseBertConfig } from '../../src/models/bert/config.js';
import { tinyEncoderConfig } from './encoder-models.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { mulberry32 } from '../../src/util/random.js';

/** The tiny config; `extra` adds or overrides config.json keys (e.g. the dropout probabilities). */
export function tinyBertConfig(extra: Record<string, unknown> = {}) {
  return parseBertConfig(
    tinyEncoderConfig('bert', 50, 0, 32, {
      hidden_size: 32,
      intermediate_size: 64,
      max_position_embeddings: 32,
      ...extra,
    }),
  );
}

/** A batch of B rows padded to S tokens, reproducible from `seed`. */
export function tinyBertBatch(seed: number, B = 4, S = 10): MicroBatch {
  const r = mulberry32(seed);
  const lens = Array.from({ length: B }, () => 4 + Math.floor(r() * (S - 4)));
  const ids = new BigInt64Array(B * S),
    mask = new BigInt64Array(B * S);
  lens.forEach((len, b) => {
    for (let t = 0; t < len; t++) {
      ids[b * S + t] = BigInt(t === 0 ? 1 : 2 + Math.floor(r() * 48));
      mask[b * S + t] = 1n;
    }
  });
  return {
    input_ids: { data: ids, dims: [B, S] },
    attention_mask: { data: mask, dims: [B, S] },
    token_type_ids: { data: new BigInt64Array(B * S), dims: [B, S] },
    labels: { data: BigInt64Array.from(lens.map((_, b) => BigInt((seed + b) % 3))), dims: [B] },
  };
}
