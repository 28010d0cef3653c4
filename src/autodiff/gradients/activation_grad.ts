// Pointwise activations whose derivative is cheapest from the forward output or input.
import type { GradientSpec } from '../types.js';

// tanh' = 1 - y^2
export const tanhGrad: GradientSpec = {
  op: 'Tanh',
  grad: (c) => {
    const { g } = c;
    const y = c.y(0);
    return [g.op('Mul', [c.dy(0)!, g.op('Sub', [g.scalar(1, y), g.op('Mul', [y, y])])])];
  },
};

// relu' = [x > 0]
export const reluGrad: GradientSpec = {
  op: 'Relu',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0);
    return [g.op('Where', [g.op('Greater', [x, g.scalar(0, x)]), c.dy(0)!, g.scalar(0, x)])];
  },
};
