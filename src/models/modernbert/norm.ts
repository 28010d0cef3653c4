// ModernBERT's LayerNorm, whose bias is optional (norm_bias; false in the released models). Without
// a bias it still gives LayerNormalization a bias input, zeros: onnxruntime 1.30's extended graph
// optimizations crash the process (segfault at session creation) on a bias-less
// LayerNormalization after an Add, which every pre-norm ModernBERT layer has.
import type { Value } from '../../onnx/graph.js';
import { float } from '../../onnx/graph.js';
import type { Emitter } from '../layers.js';
import type { Scope } from '../scope.js';

export class ModernBertNorm {
  readonly weight: string;
  readonly bias?: string;

  constructor(
    s: Scope,
    readonly dim: number,
    readonly eps: number,
    bias: boolean,
  ) {
    this.weight = s.param('weight', [dim], false);
    if (bias) this.bias = s.param('bias', [dim], false);
  }

  apply(e: Emitter, x: Value): Value {
    const { g } = e;
    // Mixed precision: in float32 between casts, as LayerNorm in layers.ts.
    const x32 = e.toFloat32(x);
    const bias = this.bias
      ? e.param(this.bias)
      : g.constant(x32.dtype, new Array<number>(this.dim).fill(0), [this.dim]);
    // float64 (gradient checks): one output, the gradient recomputes the statistics (see layers.ts).
    const outputs = x32.dtype === 'float64' ? 1 : 3;
    const y = g.node(
      'LayerNormalization',
      [x32, e.param(this.weight), bias],
      { axis: -1, epsilon: float(this.eps) },
      { outputs },
    )[0];
    return e.toAct(y);
  }
}
