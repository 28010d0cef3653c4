// Rotary position embeddings as ModernBERT applies them (HF's default RoPE, rotate_half form):
// x * cos + rotate_half(x) * sin, with angles pos * theta^(-2k/D) duplicated over both halves.
// The tables are computed in the graph for positions 0..T-1 (no [max_positions, D] constants), in
// float32 as torch computes them; inv_freq is rounded the way torch's float32 ops round it.
import type { Value } from '../../onnx/graph.js';
import { intToFloat } from '../../onnx/op-helpers.js';
import { assertShape, type Emitter } from '../layers.js';

/** 1 / theta^(2k/D) for k < D/2, each step in float32 (arange(0, D, 2).float() / D, pow, reciprocal). */
export function inverseFrequencies(theta: number, D: number): Float32Array {
  const out = new Float32Array(D / 2);
  for (let k = 0; k < D / 2; k++) {
    const exponent = Math.fround((2 * k) / D);
    out[k] = Math.fround(1 / Math.fround(Math.pow(theta, exponent)));
  }
  return out;
}

export interface RopeTables {
  /** [T, D] */
  cos: Value;
  /** [T, D]: sin with the first half negated, so rotate_half(x) * sin = swap_halves(x) * signedSin. */
  signedSin: Value;
}

/** Tables for positions 0..T-1 (`positions`: int64 [T]); `scale` multiplies both (the 1/sqrt(D) of queries). */
export function ropeTables(
  e: Emitter,
  positions: Value,
  T: number | string,
  D: number,
  theta: number,
  scale = 1,
): RopeTables {
  const { g } = e;
  const inv = g.constant('float32', inverseFrequencies(theta, D), [1, D / 2]);
  const pos = g.op('Unsqueeze', [intToFloat(g, positions, 'float32'), g.ints([1])]); // [T, 1]
  const half = assertShape(g.op('Mul', [pos, inv]), [T, D / 2]);
  const angles = g.op('Concat', [half, half], { axis: -1 });
  const toModel = (v: Value) => {
    const scaled = scale === 1 ? v : g.op('Mul', [v, g.scalar(scale, v)]);
    return e.toAct(scaled); // float64 (gradient checks) or the mixed-precision compute type
  };
  const sinHalf = g.op('Sin', [half]);
  return {
    cos: toModel(g.op('Cos', [angles])),
    signedSin: toModel(g.op('Concat', [g.op('Neg', [sinHalf]), sinHalf], { axis: -1 })),
  };
}

/** x * cos + rotate_half(x) * sin for x [B, A, T, D]. */
export function applyRope(e: Emitter, x: Value, t: RopeTables): Value {
  const { g } = e;
  const D = x.shape[x.rank - 1] as number;
  const [x1, x2] = g.node('Split', [x, g.ints([D / 2, D / 2])], { axis: -1 });
  const swapped = g.op('Concat', [x2, x1], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, t.cos]), g.op('Mul', [swapped, t.signedSin])]);
}
