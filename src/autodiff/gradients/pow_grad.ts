// y = x ^ p with broadcasting. dx = dy * p * x^(p-1); dp = dy * y * ln(x) where x > 0 (0 elsewhere,
// as in PyTorch: the real power is only differentiable in p for positive bases).
import { castIfNeeded, reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const powGrad: GradientSpec = {
  op: 'Pow',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0),
      dy = c.dy(0)!;
    const p = castIfNeeded(g, c.x(1), x.dtype);
    let dx = null,
      dp = null;
    if (c.needs(0)) {
      const pm1 = g.op('Pow', [x, g.op('Sub', [p, g.scalar(1, x)])]);
      dx = reduceToShape(g, g.op('Mul', [dy, g.op('Mul', [p, pm1])]), x);
    }
    if (c.needs(1)) {
      const pos = g.op('Greater', [x, g.scalar(0, x)]);
      const safeX = g.op('Where', [pos, x, g.scalar(1, x)]);
      const d = g.op('Mul', [dy, g.op('Mul', [c.y(0), g.op('Log', [safeX])])]);
      dp = reduceToShape(g, castIfNeeded(g, g.op('Where', [pos, d, g.scalar(0, x)]), c.x(1).dtype), c.x(1));
    }
    return [dx, dp];
  },
};
