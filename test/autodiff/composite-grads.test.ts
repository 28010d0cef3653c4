// A whole BERT-style block, differentiated end to end: the per-op gradients must also compose
// (shared tensors, broadcasting masks, residuals, two LayerNorm forms, [CLS] slice, GELU, loss).
// float32 because ORT has no float64 Erf; tolerance atol 2e-3 + rtol 2e-2 (gradCheck defaults).
import { float, type Graph, type Value } from '../../src/onnx/graph.js';
import { gradCheck } from '../helpers/gradcheck.js';

const H = 4,
  V = 6,
  B = 2,
  T = 3,
  F = 8,
  C = 3;

function block(g: Graph, [emb, ids, mask, labels, lnW, lnB, wq, wk, wv, w1, b1, w2, wp, bp, wc, bc]: Value[]): Value {
  const mm = (a: Value, b: Value) => g.op('MatMul', [a, b]);
  const x = g.node(
    'LayerNormalization',
    [g.op('Gather', [emb, ids]), lnW, lnB],
    { epsilon: float(1e-12) },
    { outputs: 3 },
  )[0];
  const scores = g.op('Div', [
    mm(mm(x, wq), g.op('Transpose', [mm(x, wk)], { perm: [0, 2, 1] })),
    g.scalar(Math.sqrt(H), x),
  ]);
  const bias = g.op('Mul', [
    g.op('Unsqueeze', [g.op('Sub', [g.scalar(1, mask), mask]), g.ints([1])]),
    g.scalar(-1e4, x),
  ]);
  const probs = g.op('Softmax', [g.op('Add', [scores, bias])]);
  const attn = g.node('Dropout', [mm(probs, mm(x, wv)), g.scalar(0.1, x), g.constant('bool', [0], [])])[0];
  const h = g.node(
    'LayerNormalization',
    [g.op('Add', [x, attn]), lnW, lnB],
    { epsilon: float(1e-12) },
    { outputs: 1 },
  )[0];
  const pre = g.op('Add', [mm(h, w1), b1]);
  const gelu = g.op('Mul', [
    g.op('Mul', [pre, g.scalar(0.5, pre)]),
    g.op('Add', [g.scalar(1, pre), g.op('Erf', [g.op('Div', [pre, g.scalar(Math.SQRT2, pre)])])]),
  ]);
  const out = g.op('Add', [h, mm(gelu, w2)]);
  const cls = g.op('Squeeze', [g.op('Slice', [out, g.ints([0]), g.ints([1]), g.ints([1])]), g.ints([1])]);
  const pooled = g.op('Tanh', [g.op('Gemm', [cls, wp, bp], { transB: 1 })]);
  const logits = g.op('Gemm', [pooled, wc, bc], { transB: 1 });
  return g.node('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' })[0];
}

test('composite BERT block (Gather, LayerNormalization, MatMul, Transpose, Softmax, Dropout, Erf, Slice, Squeeze, Gemm, Tanh, SoftmaxCrossEntropyLoss), float32', async () => {
  const r = await gradCheck(
    [
      { name: 'emb', shape: [V, H] },
      { name: 'ids', shape: [B, T], dtype: 'int64', grad: false, data: [1, 4, 4, 0, 5, 2] },
      { name: 'mask', shape: [B, T], grad: false, data: [1, 1, 1, 1, 1, 0] },
      { name: 'labels', shape: [B], dtype: 'int64', grad: false, data: [2, 0] },
      { name: 'ln_w', shape: [H] },
      { name: 'ln_b', shape: [H] },
      { name: 'wq', shape: [H, H] },
      { name: 'wk', shape: [H, H] },
      { name: 'wv', shape: [H, H] },
      { name: 'w1', shape: [H, F] },
      { name: 'b1', shape: [F] },
      { name: 'w2', shape: [F, H] },
      { name: 'wp', shape: [H, H] },
      { name: 'bp', shape: [H] },
      { name: 'wc', shape: [C, H] },
      { name: 'bc', shape: [C] },
    ],
    block,
    { dtype: 'float32', eps: 5e-3, maxElems: 24 },
  );
  expect(r.checked).toBe(171); // every element of the small tensors, 24 sampled from each larger one
});
