// Pointwise activations whose derivative is cheapest from the forward output or input.
import { castIfNeeded } from '../helpers.js';
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
    // CUDA has no bfloat16 Greater: compare in float32 (exact: the sign survives the cast).
    const xc = x.dtype === 'bfloat16' ? castIfNeeded(g, x, 'float32') : x;
    return [g.op('Where', [g.op('Greater', [xc, g.scalar(0, xc)]), c.dy(0)!, g.scalar(0, x)])];
  },
};
