// The legalize pass (src/onnx/legalize.ts): for 'webgpu' each rule replaces an op the WebGPU
// provider lacks with ops it has, computing the same values (checked on the CPU EP); for 'any'
// nothing changes. Rewritten nodes keep their output values, so references held by a builder stay
// valid and autodiff after the pass differentiates the new forms; the pass is idempotent, keeps the
// nodes in topological order and reaches into Scan bodies.
import { gradients } from '../../src/autodiff/backward.js';
import { Graph, subgraph, type Value } from '../../src/onnx/graph.js';
import { legalize } from '../../src/onnx/legalize.js';
import { sessionFor, tensor, type ort } from '../../src/onnx/session.js';

type Feeds = Record<string, ort.Tensor>;

/** Builds the graph twice, legalizes one for webgpu, runs both on the CPU EP: equal outputs, the op gone. */
async function sameValues(build: (g: Graph) => void, feeds: Feeds, gone: string, tol = 1e-6) {
  const plain = new Graph('plain');
  build(plain);
  const legal = new Graph('legal');
  build(legal);
  expect(legalize(plain, 'any')).toBe(0);
  expect(plain.nodes.some((n) => n.opType === gone)).toBe(true);
  expect(legalize(legal, 'webgpu')).toBeGreaterThan(0);
  expect(legal.nodes.map((n) => n.opType)).not.toContain(gone);
  expect(legalize(legal, 'webgpu')).toBe(0); // idempotent
  const [a, b] = await Promise.all([sessionFor(plain), sessionFor(legal)]);
  const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
  for (const name of Object.keys(ra)) {
    const [x, y] = [
      Array.from(ra[name].data as Float32Array, Number),
      Array.from(rb[name].data as Float32Array, Number),
    ];
    expect(rb[name].dims).toEqual(ra[name].dims);
    x.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
  }
  await Promise.all([a.release(), b.release()]);
  return legal;
}

const f32 = (data: number[], dims: number[]) => tensor('float32', Float32Array.from(data), dims);
const i64 = (data: number[], dims: number[]) => tensor('int64', BigInt64Array.from(data.map(BigInt)), dims);
const LOGITS = [0.3, -1.2, 2.5, 0.1, 4, -3, 0, 0.7, 1.1, -0.4, 2.2, 0.9];

describe('webgpu legalize rules: the same values without the op', () => {
  test('Sum -> a chain of Adds, left to right', async () => {
    const g = await sameValues(
      (g) => {
        const xs = ['a', 'b', 'c'].map((n) => g.input(n, 'float32', [2]));
        g.output(g.op('Sum', xs), 'y');
      },
      { a: f32([1, 2], [2]), b: f32([3, 4], [2]), c: f32([5, 6], [2]) },
      'Sum',
    );
    expect(g.nodes.filter((n) => n.opType === 'Add')).toHaveLength(2);
  });

  test('Cast int64 -> float32 goes through int32; to float64 it stays (no WebGPU float64)', async () => {
    const h = new Graph('cast');
    const x = h.input('x', 'int64', [3]);
    const y = h.op('Cast', [x], { to: 1 });
    const d = h.op('Cast', [x], { to: 11 });
    h.output(y, 'y');
    h.output(d, 'd');
    expect(legalize(h, 'webgpu')).toBe(1);
    expect(y.producer!.inputs[0]!.dtype).toBe('int32');
    expect(y.producer!.inputs[0]!.producer!.inputs[0]).toBe(x);
    expect(d.producer!.inputs[0]).toBe(x);
    const s = await sessionFor(h);
    const r = await s.run({ x: i64([0, 1, 70000], [3]) });
    expect(Array.from(r.y.data as Float32Array)).toEqual([0, 1, 70000]);
    await s.release();
  });

  test('Cast bool -> float32 becomes Where(b, 1, 0)', async () => {
    await sameValues(
      (g) => {
        const x = g.input('x', 'float32', [4]);
        g.output(g.op('Cast', [g.op('Less', [x, g.scalar(0.5, x)])], { to: 1 }), 'y');
      },
      { x: f32([0, 1, 0.2, 0.9], [4]) },
      'Cast',
    );
  });

  test('LogSoftmax -> x - max - log(sum(exp(x - max))), also for large logits', async () => {
    await sameValues(
      (g) => {
        const x = g.input('x', 'float32', [3, 4]);
        g.output(g.op('LogSoftmax', [x], { axis: 1 }), 'y');
      },
      { x: f32([...LOGITS.slice(0, 8), 90, 100, 95, 80], [3, 4]) },
      'LogSoftmax',
    );
  });

  test("SoftmaxCrossEntropyLoss (mean) -> the primitive form; its gradient (autodiff after the pass) is the fused op's", async () => {
    const build = (g: Graph) => {
      const logits = g.input('logits', 'float32', [3, 4]);
      const labels = g.input('labels', 'int64', [3]);
      const [loss] = g.node('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' });
      g.output(loss, 'loss');
      return { logits, loss };
    };
    const feeds = { logits: f32(LOGITS, [3, 4]), labels: i64([2, 0, 3], [3]) };
    await sameValues((g) => void build(g), feeds, 'SoftmaxCrossEntropyLoss');
    // Legalized before autodiff (as the step graph does): the held loss value is the rewritten one.
    const grads: number[][] = [];
    for (const target of ['any', 'webgpu'] as const) {
      const g = new Graph(`ce_${target}`);
      const { logits, loss } = build(g);
      legalize(g, target);
      expect(loss.producer!.opType).toBe(target === 'any' ? 'SoftmaxCrossEntropyLoss' : 'Neg');
      g.output(gradients(loss, [logits])[0], 'dlogits');
      legalize(g, target);
      const s = await sessionFor(g);
      grads.push(Array.from((await s.run(feeds)).dlogits.data as Float32Array));
      await s.release();
    }
    grads[1].forEach((v, i) => expect(Math.abs(v - grads[0][i])).toBeLessThan(1e-6));
  });

  test('Size -> ReduceProd(Shape)', async () => {
    await sameValues(
      (g) => {
        const x = g.input('x', 'float32', ['n', 3]);
        g.output(g.op('Size', [x]), 'y');
      },
      { x: f32([1, 2, 3, 4, 5, 6], [2, 3]) },
      'Size',
    );
  });

  test('ConstantOfShape of a run-time shape -> Expand; of a constant shape (folded by ORT) it stays', async () => {
    await sameValues(
      (g) => {
        const x = g.input('x', 'float32', ['n', 3]);
        const v = { dtype: 'float32' as const, shape: [1], data: Float32Array.of(1.25) };
        g.output(g.op('ConstantOfShape', [g.op('Shape', [x])], { value: v }), 'y');
      },
      { x: f32([1, 2, 3, 4, 5, 6], [2, 3]) },
      'ConstantOfShape',
    );
    const g = new Graph('const');
    const v = { dtype: 'float32' as const, shape: [1], data: Float32Array.of(0) };
    g.output(g.op('ConstantOfShape', [g.ints([2, 2])], { value: v }), 'y');
    expect(legalize(g, 'webgpu')).toBe(0);
  });
});

test('a rule that reads a constant made later in the graph: the nodes are put back in topological order', async () => {
  const g = new Graph('order');
  const x = g.input('x', 'float32', [2]);
  const w = g.op('Cast', [g.op('Less', [x, g.scalar(0.5, x)])], { to: 1 }); // becomes Where(b, 1, 0) ...
  g.output(w, 'w');
  // ... whose scalars 1 and 0 (shared constants) are made only here, after it
  g.output(g.op('Add', [g.op('Mul', [x, g.scalar(0, x)]), g.scalar(1, x)]), 'v');
  legalize(g, 'webgpu');
  const seen = new Set<Value>(g.inputs);
  for (const n of g.nodes) {
    for (const v of n.inputs) if (v) expect(seen.has(v)).toBe(true);
    n.outputs.forEach((o) => seen.add(o));
  }
  expect(w.producer!.opType).toBe('Where');
  const s = await sessionFor(g);
  const r = await s.run({ x: f32([0, 3], [2]) });
  expect(Array.from(r.w.data as Float32Array)).toEqual([1, 0]);
  await s.release();
});

test('Scan bodies are legalized too', () => {
  const g = new Graph('outer');
  const x = g.input('x', 'float32', ['k', 2]);
  const body = subgraph(g, 'body');
  const acc = body.input('acc', 'float32', [2]);
  const xi = body.input('xi', 'float32', [2]);
  body.output(body.op('Sum', [acc, xi, xi]));
  const [out] = g.node('Scan', [g.constant('float32', [0, 0], [2]), x], { body, num_scan_inputs: 1 }, { outputs: 1 });
  g.output(out, 'y');
  expect(legalize(g, 'webgpu')).toBe(1);
  expect(body.nodes.map((n) => n.opType)).toEqual(['Add', 'Add']);
});
