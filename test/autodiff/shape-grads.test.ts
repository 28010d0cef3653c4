// Finite-difference gradient checks, one test per op (float64 unless the title says otherwise):
// ops that move, select or combine elements without arithmetic.
import type { Graph, Value } from '../../src/onnx/graph.js';
import { gradCheck } from '../helpers/gradcheck.js';

const IDX = { dtype: 'int64' as const, grad: false };

/** x with every dimension unknown at build time (Reshape to its own run-time Shape). */
function symbolic(g: Graph, x: Value): Value {
  const v = g.op('Reshape', [x, g.op('Shape', [x])]);
  expect(v.shape.every((d) => typeof d === 'string')).toBe(true);
  return v;
}

describe('gradient check per op: shape and selection ops', () => {
  test('Unsqueeze: axes [0, -1] on [2,3]', async () => {
    const r = await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) =>
      g.op('Tanh', [g.op('Unsqueeze', [x, g.ints([0, -1])])]),
    );
    expect(r.checked).toBe(6);
  });

  test('Squeeze: given axes, and all size-1 axes', async () => {
    await gradCheck([{ name: 'x', shape: [2, 1, 3, 1] }], (g, [x]) => g.op('Squeeze', [x, g.ints([1])]));
    await gradCheck([{ name: 'x', shape: [1, 3, 1] }], (g, [x]) => g.op('Tanh', [g.op('Squeeze', [x])]));
  });

  test('Gather axis 0 (embedding rows, repeated and negative ids accumulate)', async () => {
    const r = await gradCheck(
      [
        { name: 'table', shape: [5, 3] },
        { name: 'ids', shape: [2, 3], ...IDX, data: [1, 4, 1, 0, -1, 1] },
      ],
      (g, [t, ids]) => g.op('Gather', [t, ids], { axis: 0 }),
    );
    expect(r.checked).toBe(15);
  });

  test('Gather multi-consumer: one table gathered twice, broadcast-added and used as output weights (tied embeddings)', async () => {
    await gradCheck(
      [
        { name: 'table', shape: [4, 3] },
        { name: 'ids', shape: [2], ...IDX, data: [2, 2] },
        { name: 'other', shape: [3], ...IDX, data: [0, 3, 2] },
      ],
      (g, [t, ids, other]) => {
        const a = g.op('Gather', [t, ids]);
        const b = g.op('Gather', [t, other]);
        const h = g.op('Add', [g.op('Unsqueeze', [a, g.ints([1])]), b]); // [2,1,3] + [3,3] -> [2,3,3]
        return g.op('MatMul', [g.op('Tanh', [h]), g.op('Transpose', [t])]);
      },
    );
  });

  test('Gather axis 1 and axis -1, scalar index, int32 indices', async () => {
    await gradCheck(
      [
        { name: 'x', shape: [2, 4, 3] },
        { name: 'i', shape: [3], ...IDX, data: [3, 0, 3] },
      ],
      (g, [x, i]) => g.op('Gather', [x, i], { axis: 1 }),
    );
    await gradCheck(
      [
        { name: 'x', shape: [2, 4] },
        { name: 'i', shape: [2, 2], dtype: 'int32', grad: false, data: [0, 3, 3, 1] },
      ],
      (g, [x, i]) => g.op('Gather', [x, i], { axis: -1 }),
    );
    await gradCheck(
      [
        { name: 'x', shape: [3, 2] },
        { name: 'i', shape: [], ...IDX, data: [2] },
      ],
      (g, [x, i]) => g.op('Gather', [x, i], { axis: 0 }),
    );
  });

  test('Slice: [CLS] token x[:, 0] of [B,T,H], static and symbolic T', async () => {
    const r = await gradCheck([{ name: 'h', shape: [2, 4, 3] }], (g, [h]) =>
      g.op('Squeeze', [g.op('Slice', [h, g.ints([0]), g.ints([1]), g.ints([1])]), g.ints([1])]),
    );
    expect(r.checked).toBe(24);
    // T symbolic: the pads are computed from Shape(x) at run time.
    await gradCheck([{ name: 'h', shape: [2, 4, 3] }], (g, [h]) => {
      const sym = symbolic(g, h);
      const cls = g.op('Slice', [sym, g.ints([0]), g.ints([1]), g.ints([1])]);
      return g.op('Reshape', [cls, g.ints([2, 3])]);
    });
  });

  test('Slice: negative starts, INT64_MAX end, two axes, steps 2 and -1', async () => {
    await gradCheck([{ name: 'x', shape: [4, 5] }], (g, [x]) =>
      g.op('Slice', [
        x,
        g.ints([-3, 1]),
        g.constant('int64', new BigInt64Array([2n ** 63n - 1n, 4n]), [2]),
        g.ints([0, 1]),
      ]),
    );
    await gradCheck([{ name: 'x', shape: [4, 6] }], (g, [x]) =>
      g.op('Slice', [x, g.ints([0, 5]), g.ints([4, 0]), g.ints([0, 1]), g.ints([2, -2])]),
    );
  });

  test('Concat: three inputs on axis 1, one held constant, and a symbolic size', async () => {
    await gradCheck(
      [
        { name: 'a', shape: [2, 1] },
        { name: 'b', shape: [2, 3] },
        { name: 'k', shape: [2, 2], grad: false },
      ],
      (g, [a, b, k]) => g.op('Concat', [a, b, k], { axis: 1 }),
    );
    await gradCheck(
      [
        { name: 'a', shape: [2, 3] },
        { name: 'b', shape: [1, 3] },
      ],
      (g, [a, b]) => {
        const sym = symbolic(g, a);
        return g.op('Reshape', [g.op('Concat', [sym, b], { axis: 0 }), g.ints([3, 3])]);
      },
    );
  });

  test('Slice: symbolic dims with negative start and an INT64_MAX end (run-time pads)', async () => {
    await gradCheck([{ name: 'x', shape: [3, 5] }], (g, [x]) => {
      const s = g.op('Slice', [
        symbolic(g, x),
        g.ints([-2]),
        g.constant('int64', new BigInt64Array([2n ** 63n - 1n]), [1]),
        g.ints([1]),
      ]);
      return g.op('Reshape', [s, g.ints([3, 2])]);
    });
  });

  test('Split: sizes [1,2] on axis 1, including an output that does not reach the loss', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) => {
      const [p, q] = g.node('Split', [x, g.ints([1, 2])], { axis: 1 });
      return g.op('Mul', [q, p]);
    });
    await gradCheck([{ name: 'x', shape: [2, 5] }], (g, [x]) => g.node('Split', [x, g.ints([2, 3])], { axis: -1 })[1]);
    // opset 17 equal split: no sizes, three declared outputs
    await gradCheck([{ name: 'x', shape: [3, 2] }], (g, [x]) => {
      const [a, , c] = g.node('Split', [x], { axis: 0 }, { outputs: 3 });
      return g.op('Mul', [a, g.op('Tanh', [c])]);
    });
  });

  test('Expand: [3,1] -> [2,3,4] sums over the broadcast axes', async () => {
    const r = await gradCheck([{ name: 'x', shape: [3, 1] }], (g, [x]) => g.op('Expand', [x, g.ints([2, 3, 4])]));
    expect(r.checked).toBe(3);
  });

  test('Expand to a run-time shape (broadcast axes decided at run time)', async () => {
    await gradCheck(
      [
        { name: 'x', shape: [3, 1] },
        { name: 'like', shape: [2, 3, 4], grad: false },
      ],
      (g, [x, like]) => {
        const e = g.op('Expand', [x, g.op('Shape', [like])]);
        expect(e.shape.some((d) => typeof d === 'string')).toBe(true);
        return g.op('Reshape', [e, g.ints([2, 3, 4])]);
      },
    );
  });

  test('Flatten: axis 2 of [2,3,2,2] and axis 0', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3, 2, 2] }], (g, [x]) => g.op('Flatten', [x], { axis: 2 }));
    await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) => g.op('Flatten', [x], { axis: 0 }));
  });

  test('Where: branches broadcast, the condition gets no gradient', async () => {
    const r = await gradCheck(
      [
        { name: 'c', shape: [2, 3], dtype: 'bool', grad: false, data: [1, 0, 0, 1, 1, 0] },
        { name: 'a', shape: [2, 3] },
        { name: 'b', shape: [3] },
      ],
      (g, [c, a, b]) => g.op('Where', [c, a, b]),
    );
    expect(r.checked).toBe(9);
  });

  test('Cast: float64 -> float32 -> float64 passes gradients; int cast stops them', async () => {
    await gradCheck(
      [{ name: 'x', shape: [2, 3] }],
      (g, [x]) => g.op('Cast', [g.op('Tanh', [g.op('Cast', [x], { to: 1 })])], { to: 11 }),
      { atol: 1e-4, rtol: 1e-3, eps: 1e-3 },
    );
    // the int path (floor via int64) adds nothing: d/dx [x + cast(cast(x,int64),double)] = 1
    await gradCheck([{ name: 'x', shape: [4], data: [0.3, 1.2, -2.6, 4.1] }], (g, [x]) =>
      g.op('Add', [x, g.op('Cast', [g.op('Cast', [x], { to: 7 })], { to: 11 })]),
    );
  });

  test('Reshape / Transpose / Identity', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) => g.op('Reshape', [x, g.ints([4, -1])]));
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) => g.op('Transpose', [x], { perm: [2, 0, 1] }));
    await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) => g.op('Identity', [g.op('Transpose', [x])]));
  });
});
