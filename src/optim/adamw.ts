// AdamW as graph ops, with torch.optim.AdamW semantics (not the fused/foreach kernels' rounding,
// the math): decoupled decay p *= 1 - lr*wd first, then
//   m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g
//   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// Decay applies only to parameters whose ParamSpec.decay is true (HF: no decay on biases/LayerNorm).
import type { Graph } from '../onnx/graph.js';
import type { GraphOptimizer, ParamUpdateIn, ParamUpdateOut, StepScalars } from './types.js';
import { toF32 } from './types.js';

export interface AdamWConfig {
  kind: 'adamw';
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay for parameters with decay=true. */
  weightDecay?: number;
}

export function adamw(cfg: Omit<AdamWConfig, 'kind'> = {}): GraphOptimizer {
  const b1 = cfg.beta1 ?? 0.9,
    b2 = cfg.beta2 ?? 0.999,
    eps = cfg.eps ?? 1e-8,
    wd = cfg.weightDecay ?? 0;
  for (const [k, v, lo, hi] of [
    ['beta1', b1, 0, 1],
    ['beta2', b2, 0, 1],
  ] as const) {
    if (!(v >= lo && v < hi)) throw new RangeError(`AdamW ${k} must be in [0, 1), got ${v}`);
  }
  if (!(eps > 0)) throw new RangeError(`AdamW eps must be > 0, got ${eps}`);
  if (!(wd >= 0)) throw new RangeError(`AdamW weight decay must be >= 0, got ${wd}`);
  return {
    kind: 'adamw',
    slots: ['exp_avg', 'exp_avg_sq'],
    update(g: Graph, params: ParamUpdateIn[], s: StepScalars): ParamUpdateOut[] {
      const d = (x: number) => g.scalar(x, 'float64');
      const f = (x: number) => g.scalar(x, 'float32');
      // Once per step, in double like torch's Python-float bias corrections.
      const bc1 = g.op('Sub', [d(1), g.op('Pow', [d(b1), s.t])]);
      const stepSize = toF32(g, g.op('Div', [s.lr, bc1]));
      const bc2Sqrt = toF32(g, g.op('Sqrt', [g.op('Sub', [d(1), g.op('Pow', [d(b2), s.t])])]));
      const needsDecay = wd > 0 && params.some((p) => p.spec.decay);
      const decayFactor = needsDecay ? toF32(g, g.op('Sub', [d(1), g.op('Mul', [s.lr, d(wd)])])) : undefined;
      // Emitted in the order that keeps the fewest buffer-sized temporaries alive: the gradient is
      // last read by v1, the decayed parameter is made just before the final Sub.
      return params.map(({ spec, p, grad, state: [m, v] }) => {
        const m1 = g.op('Add', [m, g.op('Mul', [g.op('Sub', [grad, m]), f(1 - b1)])]);
        const v1 = g.op('Add', [g.op('Mul', [v, f(b2)]), g.op('Mul', [g.op('Mul', [grad, f(1 - b2)]), grad])]);
        const denom = g.op('Add', [g.op('Div', [g.op('Sqrt', [v1]), bc2Sqrt]), g.scalar(eps, 'float32')]);
        const update = g.op('Mul', [g.op('Div', [m1, denom]), stepSize]);
        const p0 = decayFactor && spec.decay ? g.op('Mul', [p, decayFactor]) : p;
        return { p: g.op('Sub', [p0, update]), state: [m1, v1] };
      });
    },
  };
}
