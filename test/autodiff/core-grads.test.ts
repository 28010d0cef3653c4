import { gradCheck } from '../helpers/gradcheck.js';

describe('gradient check per op (float64, finite differences): arithmetic and products', () => {
  test('Add with broadcasting [2,3,4] + [4] and + [3,1]', async () => {
    const r = await gradCheck(
      [
        { name: 'a', shape: [2, 3, 4] },
        { name: 'b', shape: [4] },
        { name: 'c', shape: [3, 1] },
      ],
      (g, [a, b, c]) => g.op('Add', [g.op('Add', [a, b]), c]),
    );
    expect(r.checked).toBeGreaterThan(30);
  });

  test('Add with broadcasting over symbolic dims (run-time reduction axes)', async () => {
    await gradCheck(
      [
        { name: 'a', shape: [2, 3, 4] },
        { name: 'b', shape: [3, 1] },
        { name: 'c', shape: [4] },
      ],
      (g, [a, b, c]) => {
        const sym = g.op('Reshape', [a, g.op('Shape', [a])]);
        return g.op('Reshape', [g.op('Add', [g.op('Add', [sym, b]), c]), g.ints([2, 3, 4])]);
      },
    );
  });

  test('Sub, Mul, Div with broadcasting', async () => {
    const r = await gradCheck(
      [
        { name: 'a', shape: [2, 3] },
        { name: 'b', shape: [1, 3] },
        { name: 'c', shape: [2, 1], data: [1.5, -2.5] },
      ],
      (g, [a, b, c]) => g.op('Div', [g.op('Mul', [g.op('Sub', [a, b]), a]), c]),
    );
    expect(r.checked).toBe(6 + 3 + 2);
  });

  test('MatMul: batched x 2-D weight, and batched x batched with broadcast', async () => {
    await gradCheck(
      [
        { name: 'x', shape: [2, 3, 4] },
        { name: 'w', shape: [4, 5] },
      ],
      (g, [x, w]) => g.op('MatMul', [x, w]),
    );
    await gradCheck(
      [
        { name: 'a', shape: [2, 2, 3, 4] },
        { name: 'b', shape: [2, 1, 4, 2] },
      ],
      (g, [a, b]) => g.op('MatMul', [a, b]),
    );
  });

  test('Gemm: transB with bias, and transA with alpha/beta', async () => {
    await gradCheck(
      [
        { name: 'x', shape: [3, 4] },
        { name: 'w', shape: [5, 4] },
        { name: 'b', shape: [5] },
      ],
      (g, [x, w, b]) => g.op('Gemm', [x, w, b], { transB: 1 }),
    );
    await gradCheck(
      [
        { name: 'x', shape: [4, 3] },
        { name: 'w', shape: [4, 5] },
        { name: 'b', shape: [1, 5] },
      ],
      (g, [x, w, b]) => g.op('Gemm', [x, w, b], { transA: 1, alpha: 0.5, beta: 2.5 }),
    );
  });

  test('multi-consumer (Mul, Add, Transpose, MatMul): a tensor with several consumers accumulates its gradients', async () => {
    await gradCheck([{ name: 'x', shape: [3, 3] }], (g, [x]) =>
      g.op('MatMul', [g.op('Mul', [x, x]), g.op('Transpose', [g.op('Add', [x, x])], { perm: [1, 0] })]),
    );
  });
});

describe('gradient check per op: activations, reductions and loss', () => {
  test('Tanh and Relu', async () => {
    await gradCheck([{ name: 'x', shape: [3, 4] }], (g, [x]) => g.op('Tanh', [x]));
    await gradCheck(
      [{ name: 'x', shape: [3, 4], data: [-1.2, 0.5, 0.3, -0.7, 2, -2, 0.9, 0.1, -0.1, 1.1, -1.3, 0.25] }],
      (g, [x]) => g.op('Relu', [x]),
    );
  });

  test('SoftmaxCrossEntropyLoss with int64 labels, reductions mean, sum and none', async () => {
    for (const reduction of ['mean', 'sum', 'none']) {
      await gradCheck(
        [
          { name: 'logits', shape: [4, 3] },
          { name: 'labels', shape: [4], dtype: 'int64', data: [0, 2, 1, 2], grad: false },
        ],
        (g, [x, y]) => g.node('SoftmaxCrossEntropyLoss', [x, y], { reduction })[0],
      );
    }
  });

  test('ReduceSum: axes input with keepdims 0 and 1, all axes', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) =>
      g.op('ReduceSum', [x, g.ints([0, 2])], { keepdims: 0 }),
    );
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) =>
      g.op('ReduceSum', [x, g.ints([-1])], { keepdims: 1 }),
    );
    await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) => g.op('ReduceSum', [x], { keepdims: 0 }));
  });

  test('ReduceSum with empty axes and noop_with_empty_axes=1 is the identity', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3] }], (g, [x]) =>
      g.op('ReduceSum', [x], { keepdims: 0, noop_with_empty_axes: 1 }),
    );
  });

  test('ReduceMean: axes attribute with keepdims 0, and over symbolic dims (run-time count)', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) => g.op('ReduceMean', [x], { axes: [1], keepdims: 0 }));
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }], (g, [x]) => {
      const sym = g.op('Reshape', [x, g.op('Shape', [x])]);
      return g.op('Reshape', [g.op('ReduceMean', [sym], { axes: [0, 2], keepdims: 1 }), g.ints([3])]);
    });
  });
});
