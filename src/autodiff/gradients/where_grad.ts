// Where(cond, a, b): dy flows to a where cond holds and to b elsewhere; cond gets no gradient.
import { reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const whereGrad: GradientSpec = {
  op: 'Where',
  grad: (c) => {
    const { g } = c;
    const cond = c.x(0),
      dy = c.dy(0)!;
    const zero = g.scalar(0, dy);
    return [
      null,
      c.needs(1) ? reduceToShape(g, g.op('Where', [cond, dy, zero]), c.x(1)) : null,
      c.needs(2) ? reduceToShape(g, g.op('Where', [cond, zero, dy]), c.x(2)) : null,
    ];
  },
};
