// The pieces the encoder families add, checked on their own: rotary embeddings (inverse frequencies
// rounded as torch's float32 ops round them; relative-position property; gradient against finite
// differences), the padding_idx lookup (pad rows get exactly no gradient, other rows the scatter
// sum), and every supported activation's gradient.
import { gradients } from '../../src/autodiff/backward.js';
import { ACTIVATIONS, activation } from '../../src/models/activations.js';
import { Emitter } from '../../src/models/layers.js';
import { applyRope, inverseFrequencies, ropeTables } from '../../src/models/modernbert/rope.js';
import { PaddingIdxEmbedding } from '../../src/models/padding-embedding.js';
import { ParamRegistry } from '../../src/models/scope.js';
import { Graph, type Value } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { gradCheck } from '../helpers/gradcheck.js';

const emitter = (g: Graph, dtype: 'float32' | 'float64' = 'float64', params = new Map<string, Value>()) =>
  new Emitter(g, params, true, dtype, 0, 'test');

describe('rotary embeddings', () => {
  test('inverse frequencies equal torch float32: 1 / theta ** (arange(0, D, 2).float() / D)', () => {
    // torch 2.x: (1.0 / (160000.0 ** (torch.arange(0, 16, 2).float() / 16))).tolist()
    const want = [
      1.0, 0.22360679507255554, 0.05000000074505806, 0.011180340312421322, 0.0024999999441206455, 0.0005590170039795339,
      0.0001250000059371814, 2.7950851290370338e-5,
    ];
    const got = Array.from(inverseFrequencies(160000, 16));
    got.forEach((v, i) => expect(Math.abs(v - want[i]) / want[i]).toBeLessThan(1.2e-7)); // within 1 float32 ulp
  });

  test('q.k after RoPE depends on the relative position only', async () => {
    const g = new Graph('rope');
    const T = 12,
      D = 8;
    const e = emitter(g, 'float32');
    const q = g.input('q', 'float32', [1, 1, T, D]);
    const k = g.input('k', 'float32', [1, 1, T, D]);
    const pos = g.op('Range', [
      g.constant('int64', [0], []),
      g.constant('int64', [T], []),
      g.constant('int64', [1], []),
    ]);
    const t = ropeTables(e, pos, T, D, 10000);
    const s = g.op('MatMul', [applyRope(e, q, t), g.op('Transpose', [applyRope(e, k, t)], { perm: [0, 1, 3, 2] })]);
    g.output(s, 'scores');
    const sess = await sessionFor(g);
    const qv = [0.3, -1.2, 0.7, 0.1, -0.5, 0.9, 1.4, -0.2];
    const kv = [-0.8, 0.4, 0.2, 1.1, 0.6, -0.3, 0.5, 0.05];
    const rep = (v: number[]) => Float32Array.from({ length: T * D }, (_, i) => v[i % D]); // the same vector at every position
    const out = (
      await sess.run({ q: tensor('float32', rep(qv), [1, 1, T, D]), k: tensor('float32', rep(kv), [1, 1, T, D]) })
    ).scores.data as Float32Array;
    await sess.release();
    let worst = 0;
    for (let i = 0; i + 5 < T; i++)
      for (let j = 0; j + 5 < T; j++) worst = Math.max(worst, Math.abs(out[i * T + j] - out[(i + 5) * T + j + 5]));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.abs(out[0 * T + 3] - out[0 * T + 4])).toBeGreaterThan(1e-3); // but it does depend on it
  });

  test('gradient of applyRope (Split, Concat, Mul, Add over cos/sin tables) matches finite differences', async () => {
    const T = 5,
      D = 6;
    const res = await gradCheck([{ name: 'x', shape: [2, 3, T, D] }], (g, [x]) => {
      const e = emitter(g);
      const pos = g.op('Range', [
        g.constant('int64', [0], []),
        g.constant('int64', [T], []),
        g.constant('int64', [1], []),
      ]);
      return applyRope(e, x, ropeTables(e, pos, T, D, 10000, 0.7));
    });
    expect(res.checked).toBeGreaterThan(50);
  });
});

describe('padding_idx embedding', () => {
  test('the pad row gets no gradient; other rows get the sum of their positions', async () => {
    const g = new Graph('pad');
    const reg = new ParamRegistry();
    const emb = new PaddingIdxEmbedding(reg.root().child('emb'), 4, 2);
    const w = g.input('emb.weight', 'float32', [4, 2]);
    const ids = g.input('ids', 'int64', [1, 5]);
    const e = emitter(g, 'float32', new Map([['emb.weight', w]]));
    const pad = g.constant('int64', [1], []);
    const y = emb.lookupPadded(e, ids, g.op('Equal', [ids, pad]));
    const dy = g.constant('float32', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 5, 2]);
    const loss = g.op('ReduceSum', [g.op('Mul', [y, dy])], { keepdims: 0 });
    g.output(y, 'y');
    g.output(gradients(loss, [w])[0], 'dw');
    const s = await sessionFor(g);
    const table = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);
    const out = await s.run({
      'emb.weight': tensor('float32', table, [4, 2]),
      ids: tensor('int64', BigInt64Array.from([2n, 1n, 2n, 1n, 3n]), [1, 5]),
    });
    await s.release();
    expect(Array.from(out.y.data as Float32Array)).toEqual([20, 21, 10, 11, 20, 21, 10, 11, 30, 31]); // pad row read
    expect(Array.from(out.dw.data as Float32Array)).toEqual([0, 0, 0, 0, 1 + 5, 2 + 6, 9, 10]); // row 1 (pad): none
  });
});

describe('activations', () => {
  test.each(ACTIVATIONS.filter((a) => a !== 'gelu'))(
    '%s: gradient matches finite differences (float64)',
    async (name) => {
      const res = await gradCheck([{ name: 'x', shape: [4, 5] }], (g, [x]) => activation(emitter(g), name, x));
      expect(res.checked).toBe(20);
    },
  );

  test('gelu (erf in float32 under float64): gradient matches finite differences', async () => {
    const res = await gradCheck([{ name: 'x', shape: [4, 5] }], (g, [x]) => activation(emitter(g), 'gelu', x), {
      eps: 1e-3,
      atol: 1e-5,
      rtol: 1e-4,
    });
    expect(res.checked).toBe(20);
  });

  test('values: gelu(1) exact, gelu_new(1) tanh form, quick_gelu, silu', async () => {
    const g = new Graph('act');
    const x = g.input('x', 'float32', [1]);
    const names = ['gelu', 'gelu_new', 'quick_gelu', 'silu', 'relu'] as const;
    names.forEach((n) => g.output(activation(emitter(g, 'float32'), n, x), n));
    const s = await sessionFor(g);
    const out = await s.run({ x: tensor('float32', Float32Array.from([1]), [1]) });
    await s.release();
    const v = (n: string) => Number(out[n].data[0]);
    expect(v('gelu')).toBeCloseTo(0.8413447460685429, 6);
    expect(v('gelu_new')).toBeCloseTo(0.8411919906082768, 6);
    expect(v('quick_gelu')).toBeCloseTo(1 / (1 + Math.exp(-1.702)), 6);
    expect(v('silu')).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(v('relu')).toBe(1);
  });
});
