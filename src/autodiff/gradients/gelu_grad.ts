// Exact GELU (com.microsoft Gelu): y = x Phi(x), Phi the standard normal CDF. With t = x / sqrt 2:
//   dy/dx = Phi(x) + x phi(x) = 0.5 (1 + erf(t)) + x exp(-t^2) / sqrt(2 pi)
// Only x is kept for the backward pass (the fused forward stores nothing else).
import type { GradientSpec } from '../types.js';

export const geluGrad: GradientSpec = {
  op: 'Gelu',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0),
      dy = c.dy(0)!;
    const t = g.op('Mul', [x, g.scalar(Math.SQRT1_2, x)]);
    const cdf = g.op('Mul', [g.op('Add', [g.op('Erf', [t]), g.scalar(1, x)]), g.scalar(0.5, x)]);
    const gauss = g.op('Exp', [g.op('Neg', [g.op('Mul', [t, t])])]);
    const xpdf = g.op('Mul', [g.op('Mul', [x, gauss]), g.scalar(1 / Math.sqrt(2 * Math.PI), x)]);
    return [g.op('Mul', [dy, g.op('Add', [cdf, xpdf])])];
  },
};
