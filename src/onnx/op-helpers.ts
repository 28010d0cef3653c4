// Small op patterns shared by models, autodiff and the optimizer, emitted in plain ONNX: the
// legalize pass (legalize.ts) rewrites them for a target that lacks an op (WebGPU: Sum, int64 Casts).
import { ONNX_DTYPE, type DType } from './dtype.js';
import type { Graph, Value } from './graph.js';

/** Elementwise sum of `values` (one value is itself). */
export function sumOf(g: Graph, values: Value[]): Value {
  return values.length === 1 ? values[0] : g.op('Sum', values);
}

/** An integer tensor (token mask, positions, counts) as float. */
export function intToFloat(g: Graph, v: Value, to: DType): Value {
  return g.op('Cast', [v], { to: ONNX_DTYPE[to] });
}
