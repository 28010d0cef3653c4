// Ops whose emission depends on the graph's target (Graph.target): for 'webgpu' the forms the
// WebGPU execution provider has kernels for, so that no float tensor falls back to the CPU
// provider; for 'any' (CPU, CUDA) the forms the graphs have always had, unchanged.
import { ONNX_DTYPE, type DType } from './dtype.js';
import type { Graph, Value } from './graph.js';

/**
 * Elementwise sum of `values`. WebGPU has no Sum kernel (a Sum node lands on the CPU provider
 * and pulls every input to the host): a chain of Adds there.
 */
export function sumOf(g: Graph, values: Value[]): Value {
  if (values.length === 1) return values[0];
  if (g.target !== 'webgpu') return g.op('Sum', values);
  return values.slice(1).reduce((acc, v) => g.op('Add', [acc, v]), values[0]);
}

/**
 * An integer tensor (token mask, positions) as float. WebGPU's Cast takes no int64 input: the
 * int64 -> int32 narrowing stays with the CPU's int64 shape arithmetic, int32 -> float runs on
 * the GPU (values here are token counts and 0/1 masks, far below 2^31).
 */
export function intToFloat(g: Graph, v: Value, to: DType): Value {
  if (g.target === 'webgpu' && v.dtype === 'int64')
    return g.op('Cast', [g.op('Cast', [v], { to: 6 })], { to: ONNX_DTYPE[to] });
  return g.op('Cast', [v], { to: ONNX_DTYPE[to] });
}
