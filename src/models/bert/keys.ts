// Checkpoint keys of BERT models as Hugging Face's from_pretrained reads them: a BertModel (base)
// checkpoint lacks the `bert.` prefix, TF-era LayerNorm keys say gamma/beta, and some checkpoints
// carry buffers that are not parameters.
import type { CheckpointKeys } from '../family.js';

const BASE_PREFIXES = ['embeddings.', 'encoder.', 'pooler.'];

/** The HF name a checkpoint key refers to. */
export function canonicalKey(key: string): string {
  let k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (BASE_PREFIXES.some((p) => k.startsWith(p))) k = `bert.${k}`;
  return k;
}

export const bertKeys: CheckpointKeys = {
  canonical: canonicalKey,
  ignored: [/^bert\.embeddings\.position_ids$/, /^bert\.embeddings\.token_type_ids$/],
  head: ['classifier.'],
};
