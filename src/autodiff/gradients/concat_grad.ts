// Concat: each input's gradient is its slab of dy. Split with the inputs' sizes along the axis
// (constants when known, else read from the inputs' shapes at run time).
import type { Value } from '../../onnx/graph.js';
import { normAxis } from '../helpers.js';
import type { GradientSpec } from '../types.js';

export const concatGrad: GradientSpec = {
  op: 'Concat',
  grad: (c) => {
    const { g } = c;
    const xs = c.node.inputs as Value[];
    const a = normAxis(c.int('axis', 0), xs[0].rank);
    const dims = xs.map((v) => v.shape[a]);
    let sizes: Value;
    if (dims.every((d) => typeof d === 'number')) sizes = g.ints(dims as number[]);
    else {
      sizes = g.op(
        'Concat',
        xs.map((v) =>
          typeof v.shape[a] === 'number'
            ? g.ints([v.shape[a] as number])
            : g.op('Gather', [g.op('Shape', [v]), g.ints([a])]),
        ),
        { axis: 0 },
      );
    }
    const parts = g.node('Split', [c.dy(0)!, sizes], { axis: a }, { outputs: xs.length });
    return parts.map((p, i) => (c.needs(i) ? p : null));
  },
};
