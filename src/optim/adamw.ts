// AdamW as graph ops, with torch.optim.AdamW semantics (not the fused/foreach kernels' rounding,
// the math): decoupled decay p *= 1 - lr*wd first, then
//   m = lerp(m, g, 1-b1); v = b2*v + (1-b2)*g*g
//   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// Decay applies only to parameters whose ParamSpec.decay is true (HF: no decay on biases/LayerNorm).
import type { Graph, Value } from '../onnx/graph.js';
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
      const d = (x: number) => g.scalar(x, s.t);
      const f = (x: number) => g.scalar(x, 'float32');
      // Once per step, in double like torch's Python-float bias corrections (float32 scalars
      // where the graph has no float64: webgpu).
      const oneMinusPow = (b: number) =>
        s.t.dtype === 'float64' ? g.op('Sub', [d(1), g.op('Pow', [d(b), s.t])]) : oneMinusPowF32(g, b, s.t);
      const bc1 = oneMinusPow(b1);
      const stepSize = toF32(g, g.op('Div', [s.lr, bc1]));
      const bc2Sqrt = toF32(g, g.op('Sqrt', [oneMinusPow(b2)]));
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

/**
 * 1 - b^t in float32 without the cancellation of 1 - Pow(b, t) (at t = 1 with b = 0.999 that
 * form loses 1e-5 to b's float32 rounding alone, and WGSL's pow/exp/log carry absolute errors
 * that are larger still near 1): with x = t ln(b) (ln b in double), 1 - e^x = -x (1 + x/2 (1 +
 * x/3 (1 + ...))) for |x| < 1/2, where nine terms leave < 1e-8, and 1 - Exp(x) beyond, where
 * e^x <= 0.61 cancels nothing. No transcendental near 1, so a GPU's loose exp/log bounds do not matter.
 */
export function oneMinusPowF32(g: Graph, b: number, t: Value): Value {
  const f = (x: number) => g.scalar(x, 'float32');
  const x = g.op('Mul', [t, f(Math.log(b))]);
  const small = g.op('Max', [x, f(-0.5)]); // keeps the unused branch finite for large t
  let r = f(1);
  for (let k = 10; k >= 2; k--) r = g.op('Add', [f(1), g.op('Mul', [g.op('Mul', [small, f(1 / k)]), r])]);
  const series = g.op('Mul', [g.op('Neg', [small]), r]);
  const direct = g.op('Sub', [f(1), g.op('Exp', [x])]);
  return g.op('Where', [g.op('Less', [x, f(-0.5)]), direct, series]);
}
