// Graph -> toModelBytes -> (a) decoded back with the official onnx.proto, (b) run in ORT and
// compared with values computed here in plain JS.
import onnxProto from 'onnx-proto';
import { gradients } from '../../src/autodiff/backward.js';
import { float, Graph } from '../../src/onnx/graph.js';
import { OPSET, toModelBytes } from '../../src/onnx/serialize.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';

const { onnx } = onnxProto;

const W = [0.5, -1, 2, 0.25, 1.5, -0.5]; // [2 classes, 3 features]
const B = [0.1, -0.2];

/** probs = softmax(2 * x @ W^T + b), batch dimension symbolic. */
function classifier() {
  const g = new Graph('classifier');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('W', 'float32', [2, 3], Float32Array.from(W));
  const b = g.initializer('b', 'float32', [2], Float32Array.from(B));
  const logits = g.op('Gemm', [x, w, b], { transB: 1, alpha: float(2) });
  g.output(g.op('Softmax', [logits], { axis: -1 }), 'probs');
  return g;
}

function expectedProbs(x: number[][]): number[] {
  return x.flatMap((row) => {
    const z = [0, 1].map((c) => 2 * row.reduce((s, v, k) => s + v * W[c * 3 + k], 0) + B[c]);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    return e.map((v) => v / (e[0] + e[1]));
  });
}

describe('model round trip', () => {
  test('serialised model decodes with onnx.proto: opset, symbolic dim, initializers, typed attributes', () => {
    const m = onnx.ModelProto.decode(toModelBytes(classifier()));
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET]]);
    const g = m.graph!;
    expect(g.input!.map((i) => i.name)).toEqual(['x']);
    expect(g.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual([
      'batch',
      3,
    ]);
    expect(g.output!.map((o) => o.name)).toEqual(['probs']);
    const w = g.initializer!.find((t) => t.name === 'W')!;
    expect(w.dims!.map(Number)).toEqual([2, 3]);
    expect(Array.from(new Float32Array(Uint8Array.from(w.rawData!).buffer))).toEqual(W);
    const gemm = g.node!.find((n) => n.opType === 'Gemm')!;
    const alpha = gemm.attribute!.find((a) => a.name === 'alpha')!;
    expect(alpha.type).toBe(onnx.AttributeProto.AttributeType.FLOAT); // float(2) must not become INT 2
    expect(alpha.f).toBe(2);
    expect(Number(gemm.attribute!.find((a) => a.name === 'transB')!.i)).toBe(1);
  });

  test('serialised model runs in ORT for two batch sizes and matches the JS computation', async () => {
    const session = await sessionFor(toModelBytes(classifier()));
    for (const x of [
      [[1, 2, 3]],
      [
        [0.5, -1, 0],
        [2, 0.1, -0.3],
        [-1, -1, 1],
      ],
    ]) {
      const out = await session.run({ x: tensor('float32', Float32Array.from(x.flat()), [x.length, 3]) });
      expect(out.probs.dims).toEqual([x.length, 2]);
      const want = expectedProbs(x);
      Array.from(out.probs.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    }
    await session.release();
  });

  test('a gradient graph round-trips: d/dW sum((x @ W)^2) = 2 x^T (x @ W)', async () => {
    const g = new Graph('grad');
    const x = g.input('x', 'float64', [2, 2]);
    const w = g.input('w', 'float64', [2, 2]);
    const y = g.op('MatMul', [x, w]);
    const loss = g.op('ReduceSum', [g.op('Mul', [y, y])], { keepdims: 0 });
    g.output(loss, 'loss');
    g.output(gradients(loss, [w])[0], 'dw');
    const xs = [1, 2, -3, 0.5],
      ws = [0.25, -1, 2, 0.75];
    const session = await sessionFor(toModelBytes(g));
    const out = await session.run({
      x: tensor('float64', Float64Array.from(xs), [2, 2]),
      w: tensor('float64', Float64Array.from(ws), [2, 2]),
    });
    const yy = [0, 1].flatMap((i) => [0, 1].map((j) => xs[i * 2] * ws[j] + xs[i * 2 + 1] * ws[2 + j]));
    const dw = [0, 1].flatMap((k) => [0, 1].map((j) => 2 * (xs[k] * yy[j] + xs[2 + k] * yy[2 + j])));
    expect(Number(out.loss.data[0])).toBeCloseTo(
      yy.reduce((s, v) => s + v * v, 0),
      10,
    );
    Array.from(out.dw.data as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(dw[i], 10));
    await session.release();
  });
});
