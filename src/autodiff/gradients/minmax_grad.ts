// Max / Min (variadic, broadcasting): dy goes to the input that produced the result. On ties the
// first such input takes all of it, so the gradients still sum to dy.
import type { Value } from '../../onnx/graph.js';
import { reduceToShape } from '../helpers.js';
import type { GradContext, GradientSpec } from '../types.js';

function selectGrad(c: GradContext) {
  const { g } = c;
  const y = c.y(0),
    dy = c.dy(0)!;
  const zero = g.scalar(0, dy);
  const ins = c.node.inputs as Value[];
  let taken: Value | undefined;
  return ins.map((v, i) => {
    const hit = g.op('Equal', [v, y]);
    const mine = taken ? g.op('And', [hit, g.op('Not', [taken])]) : hit;
    if (i < ins.length - 1) taken = taken ? g.op('Or', [taken, hit]) : hit;
    return c.needs(i) ? reduceToShape(g, g.op('Where', [mine, dy, zero]), v) : null;
  });
}

export const maxGrad: GradientSpec = { op: 'Max', grad: selectGrad };
export const minGrad: GradientSpec = { op: 'Min', grad: selectGrad };
