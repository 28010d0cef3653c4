// Checkpoint keys of DistilBERT as from_pretrained reads them: a DistilBertModel (base) checkpoint
// lacks the `distilbert.` prefix; position_ids is a buffer. A masked-LM checkpoint's vocab_* head is
// not used and is reported. The task head is pre_classifier + classifier.
import type { CheckpointKeys } from '../family.js';

const BASE_PREFIXES = ['embeddings.', 'transformer.'];

export const distilbertKeys: CheckpointKeys = {
  canonical: (key) => {
    const k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    return BASE_PREFIXES.some((p) => k.startsWith(p)) ? `distilbert.${k}` : k;
  },
  ignored: [/^distilbert\.embeddings\.position_ids$/],
  head: ['pre_classifier.', 'classifier.'],
};
