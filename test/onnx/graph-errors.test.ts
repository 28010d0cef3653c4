// Malformed graphs fail while building, with a GraphBuildError naming the node and the input.
import { gradients } from '../../src/autodiff/backward.js';
import { Graph, GraphBuildError, subgraph, Value } from '../../src/onnx/graph.js';

function expectBuildError(fn: () => unknown, ...parts: (string | RegExp)[]) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GraphBuildError);
  const msg = (err as Error).message;
  for (const p of parts) expect(msg).toMatch(p);
}

describe('graph build errors name the node and input', () => {
  test('an input from another graph', () => {
    const a = new Graph('a'),
      b = new Graph('b');
    const x = a.input('x', 'float32', [2]);
    expectBuildError(
      () => b.op('Relu', [x], {}, { name: 'relu_b' }),
      "node 'relu_b' (Relu)",
      "input 0 'x'",
      "graph 'a'",
      "'b'",
    );
  });

  test('a subgraph value read by its parent', () => {
    const outer = new Graph('outer');
    const body = subgraph(outer, 'body');
    const inner = body.input('i', 'float32', [2]);
    expectBuildError(
      () => outer.op('Neg', [inner], {}, { name: 'neg_outer' }),
      "node 'neg_outer' (Neg)",
      "'i'",
      "graph 'body'",
    );
  });

  test('an unknown value the graph never defined', () => {
    const g = new Graph('g');
    const ghost = new Value(g, 'ghost', 'float32', [2]);
    expectBuildError(
      () => g.op('Exp', [ghost], {}, { name: 'exp1' }),
      "node 'exp1' (Exp)",
      "input 0 'ghost' is unknown",
    );
  });

  test('MatMul [2,3] x [4,5]: inner dimensions differ', () => {
    const g = new Graph('g');
    const a = g.input('a', 'float32', [2, 3]),
      b = g.input('b', 'float32', [4, 5]);
    expectBuildError(() => g.op('MatMul', [a, b], {}, { name: 'mm' }), "node 'mm' (MatMul)", "'a' [2,3]", "'b' [4,5]");
  });

  test('Gemm inner dimensions, Add broadcast clash, Reshape element count', () => {
    const g = new Graph('g');
    const a = g.input('a', 'float32', [2, 3]),
      b = g.input('b', 'float32', [2, 3]),
      c = g.input('c', 'float32', [4]);
    expectBuildError(() => g.op('Gemm', [a, b], {}, { name: 'gemm' }), "node 'gemm' (Gemm)", "'a' [2,3]", "'b' [2,3]");
    expectBuildError(
      () => g.op('Add', [a, c], {}, { name: 'add' }),
      "node 'add' (Add)",
      '[2,3]',
      '[4]',
      'dimension 1: 3 vs 4',
    );
    expectBuildError(
      () => g.op('Reshape', [a, g.ints([4, 2])], {}, { name: 'rs' }),
      "node 'rs' (Reshape)",
      '[2,3]',
      '[4,2]',
    );
  });

  test('Transpose with a bad perm: wrong length, repeated axis, out of range', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [2, 3]);
    expectBuildError(
      () => g.op('Transpose', [x], { perm: [0, 1, 2] }, { name: 't1' }),
      "node 't1' (Transpose)",
      'perm [0,1,2]',
      "'x' has rank 2",
    );
    expectBuildError(
      () => g.op('Transpose', [x], { perm: [0, 0] }, { name: 't2' }),
      "node 't2' (Transpose)",
      'not a permutation',
      "'x'",
    );
    expectBuildError(
      () => g.op('Transpose', [x], { perm: [0, 2] }, { name: 't3' }),
      "node 't3' (Transpose)",
      'not a permutation',
    );
  });

  test('axes out of range: Softmax, Gather, Concat, ReduceSum, Flatten, Unsqueeze', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [2, 3]);
    const i = g.input('i', 'int64', [4]);
    expectBuildError(
      () => g.op('Softmax', [x], { axis: 2 }, { name: 'sm' }),
      "node 'sm' (Softmax)",
      'axis 2 is out of range for rank 2',
      "input 'x'",
    );
    expectBuildError(
      () => g.op('Gather', [x, i], { axis: -3 }, { name: 'ga' }),
      "node 'ga' (Gather)",
      'axis -3',
      "input 'x'",
    );
    expectBuildError(() => g.op('Concat', [x, x], { axis: 5 }, { name: 'cc' }), "node 'cc' (Concat)", 'axis 5');
    expectBuildError(
      () => g.op('ReduceSum', [x, g.ints([3])], {}, { name: 'rsum' }),
      "node 'rsum' (ReduceSum)",
      'axis 3',
      "input 'x'",
    );
    expectBuildError(
      () => g.op('Flatten', [x], { axis: 3 }, { name: 'fl' }),
      "node 'fl' (Flatten)",
      'axis 3',
      "input 'x'",
    );
    expectBuildError(() => g.op('Unsqueeze', [x, g.ints([4])], {}, { name: 'us' }), "node 'us' (Unsqueeze)", 'axis 4');
  });

  test('Split: no sizes and no output count, uneven equal split, opset-18 num_outputs', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [5, 2]);
    expectBuildError(() => g.node('Split', [x], {}, { name: 'sp1' }), "node 'sp1' (Split)", "'x'", 'outputs: n');
    expectBuildError(
      () => g.node('Split', [x], {}, { name: 'sp2', outputs: 2 }),
      "node 'sp2' (Split)",
      "'x' has size 5",
      '2 equal parts',
    );
    expectBuildError(
      () => g.node('Split', [x], { num_outputs: 5 }, { name: 'sp3' }),
      "node 'sp3' (Split)",
      'num_outputs is opset 18',
    );
  });

  test('ReduceMean with an axes input (opset 18 form) in an opset-17 graph', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [2, 3]);
    expectBuildError(
      () => g.op('ReduceMean', [x, g.ints([1])], {}, { name: 'rm' }),
      "node 'rm' (ReduceMean)",
      'axes as an attribute',
    );
  });

  test('an op the builder does not know', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float32', [2]);
    expectBuildError(
      () => g.op('Frobnicate', [x], {}, { name: 'fz' }),
      "node 'fz'",
      "'Frobnicate'",
      'shape-inference.ts',
    );
  });

  test('gradients: a parameter that does not reach the loss', () => {
    const g = new Graph('g');
    const w = g.input('w', 'float32', [3]),
      unused = g.input('unused', 'float32', [3]);
    g.output(g.op('Exp', [unused]), 'side'); // used, but not by the loss
    const loss = g.op('ReduceSum', [g.op('Mul', [w, w])], { keepdims: 0 });
    expectBuildError(() => gradients(loss, [w, unused]), "parameter 'unused'", `loss '${loss.name}'`);
  });

  test('gradients: a loss that depends on none of the parameters', () => {
    const g = new Graph('g');
    const w = g.input('w', 'float32', [3]),
      c = g.input('c', 'float32', [3]);
    const loss = g.op('ReduceSum', [c], { keepdims: 0 });
    expectBuildError(() => gradients(loss, [w]), `loss '${loss.name}'`, 'does not depend on any of the parameters');
  });

  test('gradients: an op without a gradient names the op, the node and the file to add', () => {
    const g = new Graph('g');
    const w = g.input('w', 'float32', [2, 3]);
    const p = g.op('ReduceProd', [w], { axes: [1], keepdims: 0 }, { name: 'prod' });
    const loss = g.op('ReduceSum', [p], { keepdims: 0 });
    expectBuildError(() => gradients(loss, [w]), "op 'ReduceProd'", "node 'prod'", 'src/autodiff/gradients/');
  });

  test('gradients: a Slice with run-time starts cannot be differentiated and says so', () => {
    const g = new Graph('g');
    const w = g.input('w', 'float32', [4, 3]);
    const start = g.input('start', 'int64', [1]);
    const s = g.op('Slice', [w, start, g.ints([4])], {}, { name: 'sl' });
    const loss = g.op('ReduceSum', [s], { keepdims: 0 });
    expectBuildError(() => gradients(loss, [w]), /'sl'.*input 1 \('start'\) must be a constant/);
  });
});
