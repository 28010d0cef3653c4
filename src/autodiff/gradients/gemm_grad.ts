// y = alpha * op(A) @ op(B) + beta * C, op = optional transpose.
import { reduceToShape } from '../helpers.js';
import type { GradientSpec } from '../types.js';
import { float, type Attr } from '../../onnx/graph.js';

export const gemmGrad: GradientSpec = {
  op: 'Gemm',
  grad: (c) => {
    const { g } = c;
    const dy = c.dy(0)!;
    const ta = c.int('transA', 0),
      tb = c.int('transB', 0);
    const alpha = c.attr<number | { value: number }>('alpha');
    const beta = c.attr<number | { value: number }>('beta');
    const al = alpha === undefined ? 1 : typeof alpha === 'number' ? alpha : alpha.value;
    const be = beta === undefined ? 1 : typeof beta === 'number' ? beta : beta.value;
    const A = c.x(0),
      B = c.x(1);
    const s: Record<string, Attr> = al === 1 ? {} : { alpha: float(al) };
    // dA = dy @ op(B)^T (transposed back if A was transposed); same for B.
    const da = !c.needs(0)
      ? null
      : ta
        ? g.op('Gemm', [B, dy], { transA: tb, transB: 1, ...s })
        : g.op('Gemm', [dy, B], { transA: 0, transB: tb ? 0 : 1, ...s });
    const db = !c.needs(1)
      ? null
      : tb
        ? g.op('Gemm', [dy, A], { transA: 1, transB: ta, ...s })
        : g.op('Gemm', [A, dy], { transA: ta ? 0 : 1, transB: 0, ...s });
    let dc = null;
    if (c.node.inputs[2] && c.needs(2)) {
      const scaled = be === 1 ? dy : g.op('Mul', [dy, g.scalar(be, dy)]);
      dc = reduceToShape(g, scaled, c.x(2));
    }
    return [da, db, dc];
  },
};
