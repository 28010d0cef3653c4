// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (norm_type 2):
// total = ||[||g_i||]||, coef = max_norm / (total + 1e-6), grads *= min(coef, 1).
import type { Graph, Value } from '../onnx/graph.js';
import { sumOf } from '../onnx/op-helpers.js';

export interface ClipResult {
  grads: Value[];
  /** Total gradient norm before clipping (float32 scalar), reported per step. */
  norm: Value;
}

/** `maxNorm` <= 0 disables clipping; the norm is still computed (it is logged). */
export function clipGradNorm(g: Graph, grads: Value[], maxNorm: number): ClipResult {
  const squares = grads.map((d) => g.op('ReduceSumSquare', [d], { keepdims: 0 }));
  const sum = sumOf(g, squares);
  const norm = g.op('Sqrt', [sum]);
  if (!(maxNorm > 0)) return { grads, norm };
  const coef = g.op('Div', [g.scalar(maxNorm, norm), g.op('Add', [norm, g.scalar(1e-6, norm)])]);
  const clamped = g.op('Min', [coef, g.scalar(1, norm)]);
  return { grads: grads.map((d) => g.op('Mul', [d, clamped])), norm };
}
