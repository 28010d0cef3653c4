// Flatten is a reshape to 2-D: the gradient reshapes back.
import { shapeOf } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const flattenGrad: GradientSpec = {
  op: 'Flatten',
  grad: (c) => [c.g.op('Reshape', [c.dy(0)!, shapeOf(c.g, c.x(0))])],
};
