// torch.nn.Embedding with padding_idx, as RoBERTa (words and positions), DistilBERT and ModernBERT
// (words) declare it: the pad row is read like any other but gets no gradient. The lookup passes
// the rows at pad positions through a StopGradient Identity (the autodiff's detach, see
// src/autodiff/backward.ts), so AdamW sees a zero gradient there, as in PyTorch.
import { stopGradient, type Value } from '../onnx/graph.js';
import { Embedding, type Emitter } from './layers.js';

export class PaddingIdxEmbedding extends Embedding {
  /**
   * Rows of `ids` ([B, T] int64) -> [B, T, dim]; `isPad` ([B, T] bool) marks the positions whose
   * index is padding_idx (for position tables: where the token is a pad, as RoBERTa numbers them).
   */
  lookupPadded(e: Emitter, ids: Value, isPad: Value): Value {
    const { g } = e;
    const rows = this.lookup(e, ids);
    if (!e.train) return rows; // no gradients: the exported graph stays a plain Gather
    const detached = stopGradient(g, rows);
    return g.op('Where', [g.op('Unsqueeze', [isPad, g.ints([-1])]), detached, rows]);
  }

  /** Rows of `ids` ([B, T] int64) -> [B, T, dim], the rows of id `padId` without gradient. */
  lookupWithPad(e: Emitter, ids: Value, padId: number): Value {
    if (!e.train) return this.lookup(e, ids); // nothing to test for without gradients
    return this.lookupPadded(e, ids, e.g.op('Equal', [ids, e.g.constant('int64', [padId], [])]));
  }
}
