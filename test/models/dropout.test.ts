// The dropout mask built from geometric gaps (layers.ts sparseDropout): each element kept with
// probability 1 - ratio, independently, scaled by 1/(1 - ratio); reproducible from the seed, a new
// mask every run; the gradient reuses the forward's mask.
import { gradients } from '../../src/autodiff/backward.js';
import { Emitter, sparseDropout, webgpuDrawCount } from '../../src/models/layers.js';
import { Graph, type EmitTarget } from '../../src/onnx/graph.js';
import { sessionFor, tensor, type ort } from '../../src/onnx/session.js';

async function dropper(shape: number[], ratio: number, seed: number, target: EmitTarget = 'any') {
  const g = new Graph('dropout');
  g.target = target;
  const x = g.input('x', 'float32', shape);
  const y = sparseDropout(g, x, ratio, seed);
  g.output(y, 'y');
  const loss = g.op('ReduceSum', [y], { keepdims: 0 });
  g.output(gradients(loss, [x])[0], 'dx');
  const s = await sessionFor(g);
  const n = shape.reduce((a, b) => a * b, 1);
  const feeds = { x: tensor('float32', new Float32Array(n).fill(1), shape) };
  return {
    s,
    /** One run: y (x = ones, so y is the mask) and dx. */
    run: async () => {
      const r = (await s.run(feeds)) as Record<string, ort.Tensor>;
      return { y: Float32Array.from(r.y.data as Float32Array), dx: Float32Array.from(r.dx.data as Float32Array) };
    },
  };
}

describe('sparseDropout', () => {
  // 'webgpu': the form emitted for the WebGPU EP (int64 draw count, Expand'd mask), run here on the CPU EP.
  test.each(
    (['any', 'webgpu'] as const).flatMap((target) => [0.1, 0.5, 0.7, 0.95].map((ratio) => [ratio, target] as const)),
  )(
    'ratio %p (%s graphs): values 0 or 1/(1-ratio), keep rate, no correlation between neighbours, drops reach the end',
    async (ratio, target) => {
      const { s, run } = await dropper([64, 500], ratio, 11, target);
      const { y, dx } = await run();
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
      await s.release();
    },
  );

  test('reproducible from the seed, a fresh mask every run, another seed another mask', async () => {
    const a = await dropper([32, 64], 0.1, 5);
    const b = await dropper([32, 64], 0.1, 5);
    const c = await dropper([32, 64], 0.1, 6);
    const [a1, a2] = [(await a.run()).y, (await a.run()).y];
    const [b1, b2] = [(await b.run()).y, (await b.run()).y];
    const c1 = (await c.run()).y;
    expect(b1).toEqual(a1);
    expect(b2).toEqual(a2);
    expect(a2).not.toEqual(a1);
    expect(c1).not.toEqual(a1);
    await Promise.all([a.s, b.s, c.s].map((s) => s.release()));
  });

  test('each dropout site of a model draws its own mask', async () => {
    const g = new Graph('sites');
    const x = g.input('x', 'float32', [16, 64]);
    const e = new Emitter(g, new Map(), true, 'float32', 9, 'test');
    g.output(e.dropout(x, 0.1), 'a');
    g.output(e.dropout(x, 0.1), 'b');
    const s = await sessionFor(g);
    const r = await s.run({ x: tensor('float32', new Float32Array(16 * 64).fill(1), [16, 64]) });
    expect(Array.from(r.a.data as Float32Array)).not.toEqual(Array.from(r.b.data as Float32Array));
    await s.release();
  });

  test.each(['any', 'webgpu'] as const)(
    'tiny tensors (1 and 3 elements) keep at the right rate over many runs (%s graphs)',
    async (target) => {
      for (const shape of [[1], [3]]) {
        const { s, run } = await dropper(shape, 0.25, 3, target);
        let kept = 0,
          total = 0;
        for (let i = 0; i < 300; i++) {
          const { y } = await run();
          kept += y.filter((v) => v !== 0).length;
          total += y.length;
        }
        expect(Math.abs(kept / total - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / total));
        await s.release();
      }
    },
  );

  test('webgpu draw count (int64 only): at least n q + 8 sd + 16 for any n, at most 1.6% + 1041 more', async () => {
    const ns = [1, 7, 100, 4096, 65536, 1e6, 123456789, 5e9, 2 ** 40];
    for (const q of [0.01, 0.1, 0.3, 0.5]) {
      const g = new Graph('count');
      const n = g.input('n', 'int64', [ns.length]);
      g.output(webgpuDrawCount(g, n, q), 'count');
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
