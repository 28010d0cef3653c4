import { shapeOf } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const reshapeGrad: GradientSpec = {
  op: 'Reshape',
  grad: (c) => [c.g.op('Reshape', [c.dy(0)!, shapeOf(c.g, c.x(0))]), null],
};
