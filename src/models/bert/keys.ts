// Checkpoint keys as Hugging Face's from_pretrained reads them, for BERT and the families derived
// from it: a base-model checkpoint (BertModel, RobertaModel, ...) lacks the `<base>.` prefix, TF-era
// LayerNorm keys say gamma/beta, and some checkpoints carry buffers (position_ids, token_type_ids)
// that are not parameters and are dropped without a word, as HF does.
import type { CheckpointKeys } from '../family.js';

export function baseModelKeys(o: {
  /** The base model's attribute ('bert', 'roberta', ...). */
  base: string;
  /** Its top-level modules, as a base checkpoint names them. */
  modules: string[];
  /** Buffers under `<base>.embeddings.`. */
  buffers: string[];
  head: string[];
}): CheckpointKeys {
  const prefixes = o.modules.map((m) => `${m}.`);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    canonical: (key) => {
      const k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
      return prefixes.some((p) => k.startsWith(p)) ? `${o.base}.${k}` : k;
    },
    ignored: o.buffers.map((b) => new RegExp(`^${escape(o.base)}\\.embeddings\\.${escape(b)}$`)),
    head: o.head,
  };
}

export const bertKeys = baseModelKeys({
  base: 'bert',
  modules: ['embeddings', 'encoder', 'pooler'],
  buffers: ['position_ids', 'token_type_ids'],
  head: ['classifier.'],
});
