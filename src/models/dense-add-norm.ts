// Hugging Face's BertSelfOutput / BertOutput (RoBERTa's too): dense -> dropout -> LayerNorm(x +
// residual), declaring `dense` and `LayerNorm` under the module's scope.
import type { Value } from '../onnx/graph.js';
import { type Emitter, LayerNorm, Linear } from './layers.js';
import type { Scope } from './scope.js';

export class DenseAddNorm {
  readonly dense: Linear;
  readonly norm: LayerNorm;

  constructor(s: Scope, inFeatures: number, hiddenSize: number, eps: number) {
    this.dense = new Linear(s.child('dense'), inFeatures, hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), hiddenSize, eps);
  }

  /** LayerNorm(dropout(y) + residual), for y already through `dense` (fused feed-forwards make it). */
  addNorm(e: Emitter, y: Value, residual: Value, dropout: number): Value {
    return this.norm.apply(e, e.g.op('Add', [e.dropout(y, dropout), residual]));
  }

  /** The whole module: LayerNorm(dropout(dense(x)) + residual). */
  apply(e: Emitter, x: Value, residual: Value, dropout: number): Value {
    return this.addNorm(e, this.dense.apply(e, x), residual, dropout);
  }
}
