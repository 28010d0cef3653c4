// Cast between float types: cast the gradient back. Casts to or from integers/bool carry no
// gradient (the driver never marks an integer output live, so this only sees float -> float).
import { castIfNeeded } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const castGrad: GradientSpec = {
  op: 'Cast',
  grad: (c) => [castIfNeeded(c.g, c.dy(0)!, c.x(0).dtype)],
};
