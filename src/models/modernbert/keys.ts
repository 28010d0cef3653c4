// Checkpoint keys of ModernBERT as from_pretrained reads them: a ModernBertModel (base) checkpoint
// lacks the `model.` prefix. A masked-LM checkpoint (answerdotai/ModernBERT-*) has the same `head`
// (dense + norm) as the classifier, which loads, and a decoder bias, which is reported as unused.
import type { CheckpointKeys } from '../family.js';

const BASE_PREFIXES = ['embeddings.', 'layers.', 'final_norm.'];

export const modernbertKeys: CheckpointKeys = {
  canonical: (key) => (BASE_PREFIXES.some((p) => key.startsWith(p)) ? `model.${key}` : key),
  ignored: [],
  head: ['classifier.'],
};
