// LayerNormalization over axes [axis, rank). With xhat = (x - mean) * invstd and g = dy * scale:
//   dx = invstd * (g - mean(g) - xhat * mean(g * xhat)),  dscale = sum(dy * xhat),  dB = sum(dy)
// (sums over the leading axes). Mean/InvStdDev come from the forward node's optional outputs when
// it has them (g.node('LayerNormalization', ..., { outputs: 3 })), else they are recomputed.
import type { Value } from '../../onnx/graph.js';
import { castIfNeeded, normAxis } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const layerNormGrad: GradientSpec = {
  op: 'LayerNormalization',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0),
      scale = c.x(1),
      dy = c.dy(0)!;
    if (c.dy(1) || c.dy(2))
      throw new Error(`gradient of '${c.node.name}': gradients through the Mean/InvStdDev outputs are not supported`);
    const a = normAxis(c.int('axis', -1), x.rank);
    const normAxes = [...Array(x.rank - a).keys()].map((i) => a + i);
    const lead = [...Array(a).keys()];
    // opset 17: ReduceMean still takes axes as an attribute (ReduceSum takes an input).
    const mean1 = (v: Value) => g.op('ReduceMean', [v], { axes: normAxes, keepdims: 1 });
    let mean: Value, invStd: Value;
    if (c.node.outputs.length >= 3) {
      mean = castIfNeeded(g, c.y(1), x.dtype);
      invStd = castIfNeeded(g, c.y(2), x.dtype);
    } else {
      const attr = c.attr<number | { value: number }>('epsilon');
      const eps = attr === undefined ? 1e-5 : typeof attr === 'number' ? attr : attr.value;
      mean = mean1(x);
      const centered = g.op('Sub', [x, mean]);
      const variance = mean1(g.op('Mul', [centered, centered]));
      invStd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(eps, x)])])]);
    }
    const xhat = g.op('Mul', [g.op('Sub', [x, mean]), invStd]);
    const sumLead = (v: Value) => (lead.length ? g.op('ReduceSum', [v, g.ints(lead)], { keepdims: 0 }) : v);
    let dx = null;
    if (c.needs(0)) {
      const gx = g.op('Mul', [dy, scale]);
      const inner = g.op('Sub', [g.op('Sub', [gx, mean1(gx)]), g.op('Mul', [xhat, mean1(g.op('Mul', [gx, xhat]))])]);
      dx = g.op('Mul', [invStd, inner]);
    }
    const dScale = c.needs(1) ? sumLead(g.op('Mul', [dy, xhat])) : null;
    const dBias = c.node.inputs[2] && c.needs(2) ? sumLead(dy) : null;
    return [dx, dScale, dBias];
  },
};
