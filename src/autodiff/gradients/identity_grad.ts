import type { GradientSpec } from '../types.js';

export const identityGrad: GradientSpec = { op: 'Identity', grad: (c) => [c.dy(0)!] };
