// Building blocks shared by gradient files: broadcast reduction, zeros, axis handling.
import { ONNX_DTYPE, typedArrayOf, type DType } from '../onnx/dtype.js';
import type { Graph, Value } from '../onnx/graph.js';
import { sameDim } from '../onnx/shape-inference.js';
import { sumOf } from '../onnx/op-helpers.js';

export const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Shape(x) as a value: a constant when fully known, else a Shape node. */
export function shapeOf(g: Graph, x: Value): Value {
  if (x.shape.every((d) => typeof d === 'number')) return g.ints(x.shape as number[]);
  return g.op('Shape', [x]);
}

/** Sums `dy` (shaped like a broadcast result) back down to the shape of `x`. */
export function reduceToShape(g: Graph, dy: Value, x: Value): Value {
  const diff = dy.rank - x.rank;
  if (diff < 0) throw new Error(`reduceToShape: gradient '${dy.name}' has lower rank than '${x.name}'`);
  const axes: number[] = [];
  let dynamic = false;
  for (let i = 0; i < dy.rank; i++) {
    if (i < diff) {
      axes.push(i);
      continue;
    }
    const xd = x.shape[i - diff],
      yd = dy.shape[i];
    if (sameDim(xd, yd)) continue;
    if (xd === 1) {
      if (yd !== 1) axes.push(i);
      continue;
    }
    if (typeof xd === 'number' && typeof yd === 'number') throw new Error(`reduceToShape: ${xd} vs ${yd} at axis ${i}`);
    // a symbol or unknown on either side: the sizes may differ at run time -> decide at run time
    dynamic = true;
  }
  if (dynamic) return dynamicReduceToShape(g, dy, x);
  if (axes.length === 0) return dy;
  const summed = g.op('ReduceSum', [dy, g.ints(axes)], { keepdims: diff > 0 ? 0 : 1 });
  if (diff > 0 && axes.length === diff) return summed;
  if (diff > 0) return g.op('Reshape', [summed, shapeOf(g, x)]);
  return summed;
}

/** Run-time broadcast reduction: sums the axes where x has size 1 (or is missing) and dy does not. */
function dynamicReduceToShape(g: Graph, dy: Value, x: Value): Value {
  const diff = dy.rank - x.rank;
  const xShape = g.op('Shape', [x]);
  const padded = diff > 0 ? g.op('Concat', [g.ints(Array(diff).fill(1)), xShape], { axis: 0 }) : xShape;
  const yShape = g.op('Shape', [dy]);
  const one = g.ints([1]);
  const isBroadcast = g.op('And', [g.op('Equal', [padded, one]), g.op('Not', [g.op('Equal', [yShape, one])])]);
  const axes = g.op('Reshape', [g.op('NonZero', [isBroadcast]), g.ints([-1])]);
  const summed = g.op('ReduceSum', [dy, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return g.op('Reshape', [summed, xShape]);
}

/** Sum of several gradient contributions (Add for two, Sum for more). */
export function accumulate(g: Graph, parts: Value[]): Value {
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) return g.op('Add', parts);
  return sumOf(g, parts);
}

/** Zeros shaped like x: ConstantOfShape, so x's values (NaN/Inf) never leak in and x is not read. */
export function zerosLike(g: Graph, x: Value): Value {
  return zerosOfShape(g, shapeOf(g, x), x.dtype);
}

/** Zeros of a run-time (or constant) int64 shape. */
export function zerosOfShape(g: Graph, shape: Value, dtype: DType): Value {
  return g.op('ConstantOfShape', [shape], { value: { dtype, shape: [1], data: typedArrayOf(dtype, [0]) } });
}

/** `v` as `dtype` (no node when it already is). */
export function castIfNeeded(g: Graph, v: Value, dtype: DType): Value {
  return v.dtype === dtype ? v : g.op('Cast', [v], { to: ONNX_DTYPE[dtype] });
}

/** Constant int attribute/const-input list normalised to non-negative axes. */
export function normAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => normAxis(a, rank));
}

/** Inverse of a permutation. */
export function invertPerm(perm: number[]): number[] {
  const inv = new Array(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/** Swap the last two axes (for batched MatMul gradients). */
export function transposeLast2(g: Graph, x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return g.op('Transpose', [x], { perm });
}
