// Unsqueeze / Squeeze only move size-1 axes: the gradient undoes the reshaping.
import { normAxes, shapeOf } from '../helpers.js';
import type { GradientSpec } from '../types.js';

// dx = Squeeze(dy, same axes): the axes were inserted, so they are all size 1 in dy.
export const unsqueezeGrad: GradientSpec = {
  op: 'Unsqueeze',
  grad: (c) => {
    const axes = c.x(1).constValue;
    if (!axes) throw new Error(`gradient of '${c.node.name}': Unsqueeze axes must be a constant`);
    return [c.g.op('Squeeze', [c.dy(0)!, c.g.ints(normAxes(axes, c.y(0).rank))]), null];
  },
};

// dx = Reshape(dy, Shape(x)): covers both given axes and "squeeze every size-1 axis".
export const squeezeGrad: GradientSpec = {
  op: 'Squeeze',
  grad: (c) => [c.g.op('Reshape', [c.dy(0)!, shapeOf(c.g, c.x(0))]), null],
};
