// Softmax / LogSoftmax over one axis (opset 13 semantics), from the forward output y.
import type { GradientSpec } from '../types.js';

// dx = y * (dy - sum(dy * y, axis))
export const softmaxGrad: GradientSpec = {
  op: 'Softmax',
  grad: (c) => {
    const { g } = c;
    const y = c.y(0),
      dy = c.dy(0)!;
    const axis = g.ints([c.int('axis', -1)]);
    const dot = g.op('ReduceSum', [g.op('Mul', [dy, y]), axis], { keepdims: 1 });
    return [g.op('Mul', [y, g.op('Sub', [dy, dot])])];
  },
};

// dx = dy - exp(y) * sum(dy, axis)
export const logSoftmaxGrad: GradientSpec = {
  op: 'LogSoftmax',
  grad: (c) => {
    const { g } = c;
    const y = c.y(0),
      dy = c.dy(0)!;
    const total = g.op('ReduceSum', [dy, g.ints([c.int('axis', -1)])], { keepdims: 1 });
    return [g.op('Sub', [dy, g.op('Mul', [g.op('Exp', [y]), total])])];
  },
};
