// Split: the gradient is the Concat of the outputs' gradients; outputs that do not reach the
// loss contribute zeros of their shape.
import { shapeOf, zerosOfShape } from '../helpers.js';
import { normAxis } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const splitGrad: GradientSpec = {
  op: 'Split',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0);
    const parts = c.node.outputs.map((y, i) => c.dy(i) ?? zerosOfShape(g, shapeOf(g, y), y.dtype));
    const dx = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: normAxis(c.int('axis', 0), x.rank) });
    return [dx, null];
  },
};
