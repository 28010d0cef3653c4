// Dropout (opset 13: data, ratio, training_mode -> output, mask). In training the forward is
// y = x * mask / (1 - ratio), so dx = dy * mask / (1 - ratio), reusing the forward's mask (no new
// randomness). With training_mode absent or a constant false it is the identity.
import type { Value } from '../../onnx/graph.js';
import { castIfNeeded } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const dropoutGrad: GradientSpec = {
  op: 'Dropout',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0),
      dy = c.dy(0)!;
    const training = c.node.inputs[2];
    if (!training || training.constValue?.[0] === 0) return [dy, null, null];
    const mask = c.node.outputs[1];
    if (!mask)
      throw new Error(
        `gradient of '${c.node.name}': Dropout in training mode needs its mask output (build it with { outputs: 2 })`,
      );
    const ratio = c.node.inputs[1];
    let scale: Value;
    if (!ratio) scale = g.scalar(2, x);
    else if (ratio.constValue) scale = g.scalar(1 / (1 - ratio.constValue[0]), x);
    else scale = g.op('Div', [g.scalar(1, x), g.op('Sub', [g.scalar(1, x), castIfNeeded(g, ratio, x.dtype)])]);
    const dropped = g.op('Mul', [g.op('Mul', [dy, castIfNeeded(g, mask, x.dtype)]), scale]);
    // A run-time training flag picks between the two behaviours.
    const dx = training.constValue ? dropped : g.op('Where', [training, dropped, dy]);
    return [dx, null, null];
  },
};
