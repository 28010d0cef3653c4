// Pointwise unary ops: dx = dy * f'(x), written with whichever of x or y is cheaper.
import type { Value } from '../../onnx/graph.js';
import type { GradContext, GradientSpec } from '../types.js';

const unary = (op: string, d: (c: GradContext, dy: Value) => Value): GradientSpec => ({
  op,
  grad: (c) => [d(c, c.dy(0)!)],
});

export const negGrad = unary('Neg', (c, dy) => c.g.op('Neg', [dy]));

// exp' = y
export const expGrad = unary('Exp', (c, dy) => c.g.op('Mul', [dy, c.y(0)]));

// log' = 1 / x
export const logGrad = unary('Log', (c, dy) => c.g.op('Div', [dy, c.x(0)]));

// sqrt' = 1 / (2 y)
export const sqrtGrad = unary('Sqrt', (c, dy) => c.g.op('Div', [dy, c.g.op('Mul', [c.y(0), c.g.scalar(2, dy)])]));

// sigmoid' = y (1 - y)
export const sigmoidGrad = unary('Sigmoid', (c, dy) => {
  const { g } = c;
  const y = c.y(0);
  return g.op('Mul', [dy, g.op('Mul', [y, g.op('Sub', [g.scalar(1, y), y])])]);
});

// erf' = 2/sqrt(pi) exp(-x^2)  (exact GELU = 0.5 x (1 + erf(x / sqrt 2)) differentiates through this)
export const erfGrad = unary('Erf', (c, dy) => {
  const { g } = c;
  const x = c.x(0);
  const e = g.op('Exp', [g.op('Neg', [g.op('Mul', [x, x])])]);
  return g.op('Mul', [dy, g.op('Mul', [e, g.scalar(2 / Math.sqrt(Math.PI), x)])]);
});
