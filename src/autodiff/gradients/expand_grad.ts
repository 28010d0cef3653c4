// Expand broadcasts x to a shape: the gradient sums over the broadcast axes (like Add).
import { reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const expandGrad: GradientSpec = {
  op: 'Expand',
  grad: (c) => [reduceToShape(c.g, c.dy(0)!, c.x(0)), null],
};
