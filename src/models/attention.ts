// Eager multi-head attention shared by every encoder family: hidden states [N, H]
// (N = batch * seq) to heads [B, A, T, D] and back, softmax(q k^T + bias) v with the additive
// float32-min bias Hugging Face uses for masked keys, and that key-padding bias itself.
import type { DType } from '../onnx/dtype.js';
import type { Dim, Graph, Value } from '../onnx/graph.js';
import { intToFloat } from '../onnx/op-helpers.js';
import { assertShape, type Emitter } from './layers.js';

/** Hugging Face adds torch.finfo(float32).min to the scores of masked keys. */
export const MASK_VALUE = -3.4028234663852886e38;

/** Shapes of one forward pass: batch B, sequence T, tokens N = B*T, heads A of size D, hidden H. */
export interface HeadLayout {
  B: Dim;
  T: Dim;
  N: Dim;
  A: number;
  D: number;
  H: number;
  /** int64 [4]: (B, T, A, D) at run time, for the head Reshape. */
  heads4: Value;
  /** int64 [2]: (B, T) at run time. */
  idsShape: Value;
}

export function headLayout(g: Graph, ids: Value, heads: number, hidden: number, N: Dim): HeadLayout {
  const idsShape = g.op('Shape', [ids]);
  const D = hidden / heads;
  const heads4 = g.op('Concat', [idsShape, g.ints([heads, D])], { axis: 0 });
  const [B, T] = ids.shape;
  return { B, T, N, A: heads, D, H: hidden, heads4, idsShape };
}

/** [N, H] -> [B, T, A, D] -> Transpose(perm): [0,2,1,3] gives [B, A, T, D], [0,2,3,1] gives [B, A, D, T]. */
export function toHeads(e: Emitter, x: Value, L: HeadLayout, perm: number[]): Value {
  const { g } = e;
  const x4 = assertShape(g.op('Reshape', [x, L.heads4]), [L.B, L.T, L.A, L.D]);
  return g.op('Transpose', [x4], { perm });
}

/** softmax(q kT + bias) v, dropout on the probabilities; q [B,A,T,D] already scaled, kT [B,A,D,T] -> [N, H]. */
export function attend(e: Emitter, q: Value, kT: Value, v: Value, bias: Value, dropout: number, L: HeadLayout): Value {
  const { g } = e;
  const probs = e.dropout(e.softmax(g.op('MatMul', [q, kT]), bias), dropout);
  const ctx4 = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }); // [B,T,A,D]
  return assertShape(g.op('Reshape', [ctx4, g.ints([-1, L.H])]), [L.N, L.H]);
}

/** [B, 1, 1, T]: 0 where attention_mask is 1, float32-min where it is 0. */
export function keyPaddingBias(e: Emitter, mask: Value, dtype: DType): Value {
  const { g } = e;
  const maskF = intToFloat(g, mask, dtype === 'float64' ? 'float64' : 'float32');
  const inverted = g.op('Sub', [g.scalar(1, maskF), maskF]);
  return g.op('Unsqueeze', [g.op('Mul', [inverted, g.scalar(MASK_VALUE, maskF)]), g.ints([1, 2])]);
}

/** Row 0 of each sequence: [N, H] -> [B, H]. */
export function firstToken(e: Emitter, x: Value, L: HeadLayout): Value {
  const { g } = e;
  const x3 = assertShape(g.op('Reshape', [x, g.op('Concat', [L.idsShape, g.ints([L.H])], { axis: 0 })]), [
    L.B,
    L.T,
    L.H,
  ]);
  const first = g.op('Slice', [x3, g.ints([0]), g.ints([1]), g.ints([1])]);
  return assertShape(g.op('Reshape', [first, g.ints([-1, L.H])]), [L.B, L.H]);
}
