import { invertPerm } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const transposeGrad: GradientSpec = {
  op: 'Transpose',
  grad: (c) => {
    const x = c.x(0);
    const perm = c.attr<number[]>('perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
    return [c.g.op('Transpose', [c.dy(0)!], { perm: invertPerm(perm) })];
  },
};
