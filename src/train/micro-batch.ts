// Batch (data layer) -> MicroBatch (runner feeds, named like the BERT graph's inputs).
import type { Batch } from '../data/types.js';
import type { MicroBatch } from '../engine/feeds.js';

export function toMicroBatch(b: Batch, withLabels = true): MicroBatch {
  const dims = [b.batchSize, b.seqLen];
  const mb: MicroBatch = {
    input_ids: { data: b.inputIds, dims },
    attention_mask: { data: b.attentionMask, dims },
    token_type_ids: { data: b.tokenTypeIds, dims },
  };
  if (withLabels) mb.labels = { data: b.labels, dims: [b.batchSize] };
  return mb;
}
