// The dropout mask built from geometric gaps of counter-based uniforms (models/dropout.ts): each
// element kept with probability 1 - ratio, independently, scaled by 1/(1 - ratio); a function of
// (seed, site, draw index) only — the same in a fresh session, another for the next draw, the
// same in the graphs legalized for webgpu; the gradient reuses the forward's mask.
import { gradients } from '../../src/autodiff/backward.js';
import { DRAW_PRIME, drawCount, sparseDropout, uniforms, type DropoutStream } from '../../src/models/dropout.js';
import { Emitter } from '../../src/models/layers.js';
import { Graph } from '../../src/onnx/graph.js';
import { legalize, type LegalizeTarget } from '../../src/onnx/legalize.js';
import { sessionFor, tensor, type ort } from '../../src/onnx/session.js';

async function dropper(shape: number[], ratio: number, stream: DropoutStream, target: LegalizeTarget = 'any') {
  const g = new Graph('dropout');
  const x = g.input('x', 'float32', shape);
  const draw = g.input('draw', 'int64', []);
  const y = sparseDropout(g, x, ratio, stream, draw);
  g.output(y, 'y');
  const loss = g.op('ReduceSum', [y], { keepdims: 0 });
  g.output(gradients(loss, [x])[0], 'dx');
  legalize(g, target);
  const s = await sessionFor(g);
  const n = shape.reduce((a, b) => a * b, 1);
  const ones = tensor('float32', new Float32Array(n).fill(1), shape);
  return {
    s,
    g,
    /** One run at draw index `d`: y (x = ones, so y is the mask) and dx. */
    run: async (d: number) => {
      const r = (await s.run({ x: ones, draw: tensor('int64', BigInt64Array.of(BigInt(d)), []) })) as Record<
        string,
        ort.Tensor
      >;
      return { y: Float32Array.from(r.y.data as Float32Array), dx: Float32Array.from(r.dx.data as Float32Array) };
    },
  };
}

/** Correlation of two keep-indicator vectors at keep rate p, ~ N(0, 1/n) when independent. */
function correlation(a: Float32Array, b: Float32Array, p: number): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += ((a[i] !== 0 ? 1 : 0) - p) * ((b[i] !== 0 ? 1 : 0) - p);
  return c / a.length / (p * (1 - p));
}

/** H_k(i) / p as models/dropout.ts computes it, in JS doubles (IEEE-754, as ORT's kernels). */
function referenceUniforms(count: number, first: number, stream: DropoutStream, draw: number): Float64Array {
  const P = DRAW_PRIME;
  const red = (v: number) => v - Math.floor(v * (1 / P)) * P;
  let h = (Math.imul(stream.seed >>> 0, 0x9e3779b1) ^ Math.imul(stream.site + 1, 0x85ebca6b)) >>> 0;
  const next = () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = Math.imul(h ^ (h >>> 15), h | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % (P - 1)) + 1;
  };
  const keys = [0, 1, 2].map(() => [next(), next()]);
  const high = next();
  const dr = red(draw);
  const k = keys.map(([M, C]) => red(dr * M + C));
  const out = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const i = first + j;
    const hi = Math.floor(i * (1 / P));
    let x = red(i + hi * high + k[0]);
    for (let r = 0; r < 3; r++) {
      const y = r === 0 ? x : x + k[r];
      x = red(red(y * y) * y);
    }
    out[j] = (x + 1) * (1 / (P + 2));
  }
  return out;
}

async function runUniforms(count: number, first: number, stream: DropoutStream, draw: number): Promise<Float64Array> {
  const g = new Graph('u');
  const counter = g.input('i', 'int64', [count]);
  const d = g.input('draw', 'int64', []);
  g.output(
    uniforms(g, counter, stream, d, (t, i, a) => g.op(t, i, a)),
    'u',
  );
  const s = await sessionFor(g);
  const r = await s.run({
    i: tensor(
      'int64',
      BigInt64Array.from({ length: count }, (_, j) => BigInt(first + j)),
      [count],
    ),
    draw: tensor('int64', BigInt64Array.of(BigInt(draw)), []),
  });
  await s.release();
  return r.u.data as Float64Array;
}

describe('sparseDropout', () => {
  test.each([0.1, 0.5, 0.7, 0.95])(
    'ratio %p: values 0 or 1/(1-ratio), keep rate, no correlation between neighbours, drops reach the end; the webgpu-legalized graph gives the same mask',
    async (ratio) => {
      const stream = { seed: 11, site: 1 };
      const { s, run } = await dropper([64, 500], ratio, stream);
      const { y, dx } = await run(3);
      const n = y.length;
      const keep = Math.fround(1 / (1 - ratio));
      const kept = y.map((v) => (v === 0 ? 0 : 1));
      expect(y.every((v) => v === 0 || v === keep)).toBe(true);
      const p = 1 - ratio;
      const sd = Math.sqrt(n * p * (1 - p));
      const k = kept.reduce((a, b) => a + b, 0);
      expect(Math.abs(k - n * p)).toBeLessThan(5 * sd);
      // lag-1 correlation of the keep indicators ~ N(0, 1/n)
      let c = 0;
      for (let i = 1; i < n; i++) c += (kept[i] - p) * (kept[i - 1] - p);
      expect(Math.abs(c / (n - 1) / (p * (1 - p)))).toBeLessThan(5 / Math.sqrt(n));
      // the last 5% of the tensor has its share of both outcomes (the gaps cover the whole tensor)
      const tail = kept.slice(Math.floor(n * 0.95));
      const tk = tail.reduce((a, b) => a + b, 0);
      expect(Math.abs(tk - tail.length * p)).toBeLessThan(5 * Math.sqrt(tail.length * p * (1 - p)));
      // the gradient is the forward's mask
      expect(dx).toEqual(y);
      // legalized for webgpu (Size -> ReduceProd(Shape), ConstantOfShape -> Expand): the same mask
      const w = await dropper([64, 500], ratio, stream, 'webgpu');
      expect(w.g.nodes.some((m) => m.opType === 'Size' || m.opType === 'ConstantOfShape')).toBe(false);
      expect((await w.run(3)).y).toEqual(y);
      await Promise.all([s.release(), w.s.release()]);
    },
  );

  test('a function of (seed, site, draw): the same in a fresh session, uncorrelated across draws, seeds and sites', async () => {
    const shape = [64, 256];
    const a = await dropper(shape, 0.1, { seed: 5, site: 1 });
    const b = await dropper(shape, 0.1, { seed: 5, site: 1 });
    const a7 = (await a.run(7)).y;
    // another session, draws in another order: draw 7 is draw 7
    await b.run(0);
    await b.run(8);
    expect((await b.run(7)).y).toEqual(a7);
    expect((await a.run(7)).y).toEqual(a7);
    const others = [
      (await a.run(8)).y,
      (await (await dropper(shape, 0.1, { seed: 6, site: 1 })).run(7)).y,
      (await (await dropper(shape, 0.1, { seed: 5, site: 2 })).run(7)).y,
    ];
    const bound = 5 / Math.sqrt(a7.length);
    for (const o of others) {
      expect(o).not.toEqual(a7);
      expect(Math.abs(correlation(o, a7, 0.9))).toBeLessThan(bound);
    }
    await Promise.all([a.s.release(), b.s.release()]);
  });

  test('the uniforms are exact: ORT computes bit for bit what IEEE-754 doubles give in JS, for counters past p too', async () => {
    const stream = { seed: 1234, site: 3 };
    for (const [first, draw] of [
      [0, 0],
      [0, 987654],
      [DRAW_PRIME - 500, 42],
      [3 * DRAW_PRIME + 17, 42],
    ]) {
      const got = await runUniforms(1000, first, stream, draw);
      expect(Array.from(got)).toEqual(Array.from(referenceUniforms(1000, first, stream, draw)));
    }
    // counters p apart are not the same number (the high part is folded into the key)
    const low = await runUniforms(2000, 5, stream, 1);
    const high = await runUniforms(2000, 5 + DRAW_PRIME, stream, 1);
    expect(low.filter((v, i) => v === high[i]).length).toBeLessThan(3);
  });

  test('the uniforms are uniform: 10^6 draws in 1000 bins (chi-square), mean, lag-1 correlation', async () => {
    const u = await runUniforms(1_000_000, 0, { seed: 7, site: 1 }, 3);
    const bins = new Float64Array(1000);
    let mean = 0;
    let lag = 0;
    let outside = 0;
    for (let i = 0; i < u.length; i++) {
      if (!(u[i] >= 0 && u[i] < 1)) outside++;
      bins[Math.floor(u[i] * 1000)]++;
      mean += u[i];
      if (i) lag += (u[i] - 0.5) * (u[i - 1] - 0.5);
    }
    expect(outside).toBe(0);
    const e = u.length / 1000;
    const chi = bins.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    // 999 degrees of freedom: mean 999, sd 44.7; 5 sd either way
    expect(chi).toBeGreaterThan(999 - 5 * 44.7);
    expect(chi).toBeLessThan(999 + 5 * 44.7);
    expect(Math.abs(mean / u.length - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / u.length));
    expect(Math.abs((lag / (u.length - 1)) * 12)).toBeLessThan(5 / Math.sqrt(u.length));
  });

  test('each dropout site of a model draws its own mask', async () => {
    const g = new Graph('sites');
    const x = g.input('x', 'float32', [16, 64]);
    const draw = g.input('draw', 'int64', []);
    const e = new Emitter(g, new Map(), true, 'float32', 9, 'test', undefined, () => draw);
    g.output(e.dropout(x, 0.1), 'a');
    g.output(e.dropout(x, 0.1), 'b');
    const s = await sessionFor(g);
    const r = await s.run({
      x: tensor('float32', new Float32Array(16 * 64).fill(1), [16, 64]),
      draw: tensor('int64', BigInt64Array.of(0n), []),
    });
    expect(Array.from(r.a.data as Float32Array)).not.toEqual(Array.from(r.b.data as Float32Array));
    await s.release();
  });

  test('training dropout without a draw index is refused (the step graph always passes one)', () => {
    const g = new Graph('nodraw');
    const x = g.input('x', 'float32', [4]);
    const e = new Emitter(g, new Map(), true, 'float32', 9, 'test');
    expect(() => e.dropout(x, 0.1)).toThrow(/needs the draw index/);
    expect(new Emitter(g, new Map(), false, 'float32', 9, 'test').dropout(x, 0.1)).toBe(x);
  });

  test('tiny tensors (1 and 3 elements) keep at the right rate over many draws', async () => {
    for (const shape of [[1], [3]]) {
      const { s, run } = await dropper(shape, 0.25, { seed: 3, site: 1 });
      let kept = 0,
        total = 0;
      for (let i = 0; i < 300; i++) {
        const { y } = await run(i);
        kept += y.filter((v) => v !== 0).length;
        total += y.length;
      }
      expect(Math.abs(kept / total - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / total));
      await s.release();
    }
  });

  test('draw count (int64 only): at least n q + 8 sd + 16 for any n, at most 1.6% + 1041 more', async () => {
    const ns = [1, 7, 100, 4096, 65536, 1e6, 123456789, 5e9, 2 ** 40];
    for (const q of [0.01, 0.1, 0.3, 0.5]) {
      const g = new Graph('count');
      const n = g.input('n', 'int64', [ns.length]);
      g.output(drawCount(g, n, q), 'count');
      const s = await sessionFor(g);
      const r = await s.run({ n: tensor('int64', BigInt64Array.from(ns, BigInt), [ns.length]) });
      const got = Array.from(r.count.data as BigInt64Array, Number);
      ns.forEach((v, i) => {
        expect(got[i]).toBeGreaterThanOrEqual(v * q + 8 * Math.sqrt(v * q * (1 - q)) + 16);
        expect(got[i]).toBeLessThanOrEqual(v * q * (1 + 1 / 64) + 1042);
      });
      await s.release();
    }
  });
});
