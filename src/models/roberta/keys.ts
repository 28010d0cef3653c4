// Checkpoint keys of RoBERTa / XLM-RoBERTa as from_pretrained reads them: a RobertaModel (base)
// checkpoint lacks the `roberta.` prefix, TF-era LayerNorm keys say gamma/beta, and position_ids /
// token_type_ids are buffers. A masked-LM checkpoint's lm_head and a base model's pooler are not used
// (RobertaForSequenceClassification has no pooler) and are reported, as HF does.
import type { CheckpointKeys } from '../family.js';

const BASE_PREFIXES = ['embeddings.', 'encoder.', 'pooler.'];

export const robertaKeys: CheckpointKeys = {
  canonical: (key) => {
    const k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    return BASE_PREFIXES.some((p) => k.startsWith(p)) ? `roberta.${k}` : k;
  },
  ignored: [/^roberta\.embeddings\.position_ids$/, /^roberta\.embeddings\.token_type_ids$/],
  head: ['classifier.'],
};
