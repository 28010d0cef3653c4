// Elementwise binary ops with numpy broadcasting: gradients sum over the broadcast axes.
import { reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const addGrad: GradientSpec = {
  op: 'Add',
  grad: (c) => {
    const dy = c.dy(0)!;
    return [c.needs(0) ? reduceToShape(c.g, dy, c.x(0)) : null, c.needs(1) ? reduceToShape(c.g, dy, c.x(1)) : null];
  },
};

export const subGrad: GradientSpec = {
  op: 'Sub',
  grad: (c) => {
    const dy = c.dy(0)!;
    return [
      c.needs(0) ? reduceToShape(c.g, dy, c.x(0)) : null,
      c.needs(1) ? reduceToShape(c.g, c.g.op('Neg', [dy]), c.x(1)) : null,
    ];
  },
};

export const mulGrad: GradientSpec = {
  op: 'Mul',
  grad: (c) => {
    const dy = c.dy(0)!;
    const { g } = c;
    return [
      c.needs(0) ? reduceToShape(g, g.op('Mul', [dy, c.x(1)]), c.x(0)) : null,
      c.needs(1) ? reduceToShape(g, g.op('Mul', [dy, c.x(0)]), c.x(1)) : null,
    ];
  },
};

// y = a / b: da = dy / b, db = -dy * y / b
export const divGrad: GradientSpec = {
  op: 'Div',
  grad: (c) => {
    const dy = c.dy(0)!;
    const { g } = c;
    const da = g.op('Div', [dy, c.x(1)]);
    return [
      c.needs(0) ? reduceToShape(g, da, c.x(0)) : null,
      c.needs(1) ? reduceToShape(g, g.op('Neg', [g.op('Mul', [da, c.y(0)])]), c.x(1)) : null,
    ];
  },
};
