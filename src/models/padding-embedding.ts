// torch.nn.Embedding with padding_idx, as RoBERTa (words and positions), DistilBERT and ModernBERT
// (words) declare it: the pad row is read like any other but gets no gradient. The lookup passes
// the rows at pad positions through a StopGradient Identity (the autodiff's detach, see
// src/autodiff/backward.ts), so AdamW sees a zero gradient there, as in PyTorch.
import type { Value } from '../onnx/graph.js';
import { Embedding, type Emitter } from './layers.js';

/** The node name src/autodiff/backward.ts treats as torch's `.detach()`. */
const STOP_GRADIENT = 'StopGradient';

export class PaddingIdxEmbedding extends Embedding {
  /**
   * Rows of `ids` ([B, T] int64) -> [B, T, dim]; `isPad` ([B, T] bool) marks the positions whose
   * index is padding_idx (for position tables: where the token is a pad, as RoBERTa numbers them).
   */
  lookupPadded(e: Emitter, ids: Value, isPad: Value): Value {
    const { g } = e;
    const rows = this.lookup(e, ids);
    if (!e.train) return rows; // no gradients: the exported graph stays a plain Gather
    const detached = g.op('Identity', [rows], {}, { name: g.uniqueName(STOP_GRADIENT) });
    return g.op('Where', [g.op('Unsqueeze', [isPad, g.ints([-1])]), detached, rows]);
  }
}
