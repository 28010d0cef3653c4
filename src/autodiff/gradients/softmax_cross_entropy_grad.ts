// SoftmaxCrossEntropyLoss (integer labels, reduction mean|sum|none, no weights/ignore_index):
// d logits = (softmax(logits) - onehot(labels)) * dLoss, divided by N for mean.
import type { GradientSpec } from '../types.js';

export const softmaxCrossEntropyGrad: GradientSpec = {
  op: 'SoftmaxCrossEntropyLoss',
  grad: (c) => {
    const { g } = c;
    if (c.node.inputs[2]) throw new Error(`gradient of '${c.node.name}': class weights are not supported`);
    if (c.attr('ignore_index') !== undefined)
      throw new Error(`gradient of '${c.node.name}': ignore_index is not supported`);
    const x = c.x(0),
      labels = c.x(1);
    if (x.rank !== 2) throw new Error(`gradient of '${c.node.name}': logits must be [N, C]`);
    const reduction = c.attr<string>('reduction') ?? 'mean';
    const probs = g.op('Exp', [c.y(1)]); // log_prob output
    // one-hot as labels[:, None] == arange(C): OneHot has no float64 kernel in ORT
    const depth = g.op('Gather', [g.op('Shape', [x]), g.scalar(1, 'int64')]);
    const classes = g.op('Range', [g.scalar(0, 'int64'), depth, g.scalar(1, 'int64')]);
    const hit = g.op('Equal', [g.op('Unsqueeze', [g.op('Cast', [labels], { to: 7 }), g.ints([1])]), classes]);
    const onehot = g.op('Cast', [hit], { to: x.dtype === 'float64' ? 11 : 1 });
    let d = g.op('Sub', [probs, onehot]);
    let dLoss = c.dy(0)!;
    if (reduction === 'none') dLoss = g.op('Unsqueeze', [dLoss, g.ints([1])]);
    d = g.op('Mul', [d, dLoss]);
    if (reduction === 'mean') {
      const n = g.op('Cast', [g.op('Gather', [g.op('Shape', [x]), g.ints([0])])], {
        to: x.dtype === 'float64' ? 11 : 1,
      });
      d = g.op('Div', [d, n]);
    }
    return [d, null];
  },
};
