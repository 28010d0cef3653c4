// ReduceSum / ReduceMean: broadcast dy back over the reduced axes (divided by their size for Mean).
import type { Value } from '../../onnx/graph.js';
import { intToFloat } from '../../onnx/op-helpers.js';
import { normAxis, shapeOf } from '../helpers.js';
import type { GradContext, GradientSpec } from '../types.js';
import { numElements } from '../../util/shape.js';

function reducedAxes(c: GradContext): number[] {
  const x = c.x(0);
  const axesInput = c.node.inputs[1];
  let axes = axesInput ? axesInput.constValue : c.attr<number[]>('axes');
  if (axesInput && !axes) throw new Error(`gradient of '${c.node.name}': axes must be a constant`);
  if (!axes || axes.length === 0) axes = x.shape.map((_, i) => i);
  return axes.map((a) => normAxis(a, x.rank));
}

function spread(c: GradContext, axes: number[]): Value {
  const { g } = c;
  let dy = c.dy(0)!;
  if (c.int('keepdims', 1) === 0) dy = g.op('Unsqueeze', [dy, g.ints([...axes].sort((a, b) => a - b))]);
  return g.op('Expand', [dy, shapeOf(g, c.x(0))]);
}

/** Empty axes with noop_with_empty_axes=1 make the reduction an identity. */
function isNoop(c: GradContext): boolean {
  const axesInput = c.node.inputs[1];
  const axes = axesInput ? axesInput.constValue : c.attr<number[]>('axes');
  return c.int('noop_with_empty_axes', 0) === 1 && (!axes || axes.length === 0);
}

export const reduceSumGrad: GradientSpec = {
  op: 'ReduceSum',
  grad: (c) => [isNoop(c) ? c.dy(0)! : spread(c, reducedAxes(c)), null],
};

export const reduceMeanGrad: GradientSpec = {
  op: 'ReduceMean',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0);
    if (isNoop(c)) return [c.dy(0)!, null];
    const axes = reducedAxes(c);
    const dims = axes.map((a) => x.shape[a]);
    let count: Value;
    if (dims.every((d) => typeof d === 'number')) {
      count = g.scalar(numElements(dims as number[]), x);
    } else {
      const shape = g.op('Shape', [x]);
      const picked = g.op('Gather', [shape, g.ints(axes)]);
      count = intToFloat(
        g,
        g.op('ReduceProd', [picked], { keepdims: 0 }),
        x.dtype === 'float64' ? 'float64' : 'float32',
      );
    }
    return [g.op('Div', [spread(c, axes), count]), null];
  },
};
