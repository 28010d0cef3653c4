// Sum (variadic, broadcasting Add): every input receives dy summed down to its own shape.
import { reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const sumGrad: GradientSpec = {
  op: 'Sum',
  grad: (c) => c.node.inputs.map((v, i) => (v && c.needs(i) ? reduceToShape(c.g, c.dy(0)!, v) : null)),
};
