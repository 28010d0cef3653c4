// y = a @ b with batch broadcasting. When b is a 2-D weight and a is batched, the batch axes are
// folded into rows so dB is one GEMM instead of a batched product plus a reduction.
import { reduceToShape, shapeOf, transposeLast2 } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const matMulGrad: GradientSpec = {
  op: 'MatMul',
  grad: (c) => {
    const { g } = c;
    const a = c.x(0),
      b = c.x(1),
      dy = c.dy(0)!;
    if (a.rank < 2 || b.rank < 2)
      throw new Error(`MatMul gradient: 1-D operands are not supported (node '${c.node.name}')`);
    let da = null,
      db = null;
    if (c.needs(0)) da = reduceToShape(g, g.op('MatMul', [dy, transposeLast2(g, b)]), a);
    if (c.needs(1)) {
      if (b.rank === 2 && a.rank > 2) {
        const k = a.shape[a.rank - 1],
          n = b.shape[1];
        const a2 = g.op('Reshape', [a, g.ints([-1, typeof k === 'number' ? k : -1])]);
        const dy2 = g.op('Reshape', [dy, g.ints([-1, typeof n === 'number' ? n : -1])]);
        db = g.op('Gemm', [a2, dy2], { transA: 1 });
        if (typeof k !== 'number' || typeof n !== 'number') db = g.op('Reshape', [db, shapeOf(g, b)]);
      } else {
        db = reduceToShape(g, g.op('MatMul', [transposeLast2(g, a), dy]), b);
      }
    }
    return [da, db];
  },
};
