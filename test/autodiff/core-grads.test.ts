import { gradCheck } from '../helpers/gradcheck.js';

describe('gradient check (float64, finite differences): core ops', () => {
  test('Add with broadcasting [2,3,4] + [4] and + [3,1]', async () => {
    const r = await gradCheck(
      [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4] }, { name: 'c', shape: [3, 1] }],
      (g, [a, b, c]) => g.op('Add', [g.op('Add', [a, b]), c]),
    );
    expect(r.checked).toBeGreaterThan(30);
  });

  test('Sub / Mul / Div with broadcasting', async () => {
    const r = await gradCheck(
      [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [1, 3] }, { name: 'c', shape: [2, 1], data: [1.5, -2.5] }],
      (g, [a, b, c]) => g.op('Div', [g.op('Mul', [g.op('Sub', [a, b]), a]), c]),
    );
    expect(r.checked).toBe(6 + 3 + 2);
  });

  test('MatMul batched x 2-D weight, and batched x batched with broadcast', async () => {
    await gradCheck([{ name: 'x', shape: [2, 3, 4] }, { name: 'w', shape: [4, 5] }], (g, [x, w]) => g.op('MatMul', [x, w]));
    await gradCheck([{ name: 'a', shape: [2, 2, 3, 4] }, { name: 'b', shape: [2, 1, 4, 2] }], (g, [a, b]) => g.op('MatMul', [a, b]));
  });

  test('Gemm with transB and bias, and transA with alpha/beta', async () => {
    await gradCheck([{ name: 'x', shape: [3, 4] }, { name: 'w', shape: [5, 4] }, { name: 'b', shape: [5] }],
      (g, [x, w, b]) => g.op('Gemm', [x, w, b], { transB: 1 }));
    await gradCheck([{ name: 'x', shape: [4, 3] }, { name: 'w', shape: [4, 5] }, { name: 'b', shape: [1, 5] }],
      (g, [x, w, b]) => g.op('Gemm', [x, w, b], { transA: 1, alpha: 0.5, beta: 2.5 }));
  });

  test('a tensor with several consumers accumulates its gradients', async () => {
    await gradCheck([{ name: 'x', shape: [3, 3] }],
      (g, [x]) => g.op('MatMul', [g.op('Mul', [x, x]), g.op('Transpose', [g.op('Add', [x, x])], { perm: [1, 0] })]));
  });
});
