// Gather (embedding lookup): dx = zeros(x.shape) with dy rows added at the gathered indices
// (ScatterND reduction="add", so repeated tokens accumulate). Other axes are moved to the front
// with a Transpose, scattered, and moved back.
import type { Value } from '../../onnx/graph.js';
import { castIfNeeded, invertPerm, normAxis, shapeOf, zerosLike, zerosOfShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const gatherGrad: GradientSpec = {
  op: 'Gather',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0);
    const idx = castIfNeeded(g, c.x(1), 'int64');
    const dy = c.dy(0)!;
    const a = normAxis(c.int('axis', 0), x.rank);
    const q = c.x(1).rank;
    const coords = g.op('Unsqueeze', [idx, g.ints([-1])]); // [...idx.shape, 1]
    if (a === 0) return [g.op('ScatterND', [zerosLike(g, x), coords, dy], { reduction: 'add' }), null];
    // dy is x[:a] + idx + x[a+1:]; ScatterND wants idx + x[:a] + x[a+1:] into [x[a]] + x[:a] + x[a+1:].
    const dyPerm = [...Array(q).keys()].map((i) => a + i);
    for (let i = 0; i < dy.rank; i++) if (i < a || i >= a + q) dyPerm.push(i);
    const xPerm = [a, ...[...Array(x.rank).keys()].filter((i) => i !== a)];
    const xtShape: Value = x.shape.every((d) => typeof d === 'number')
      ? g.ints(xPerm.map((p) => x.shape[p] as number))
      : g.op('Gather', [shapeOf(g, x), g.ints(xPerm)]);
    const dyt = g.op('Transpose', [dy], { perm: dyPerm });
    const scattered = g.op('ScatterND', [zerosOfShape(g, xtShape, x.dtype), coords, dyt], { reduction: 'add' });
    return [g.op('Transpose', [scattered], { perm: invertPerm(xPerm) }), null];
  },
};
