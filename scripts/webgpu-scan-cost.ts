// What a Scan costs on the webgpu device (node --import tsx scripts/webgpu-scan-cost.ts; needs a
// WebGPU adapter, lavapipe will do). ORT's WebGPU EP has no Scan kernel, so the Scan node runs on
// the CPU EP and its body's nodes on the GPU: the carried state crosses host <-> GPU every
// iteration. Measured: a Scan carrying x [N] through K = 8 iterations of x + i (an Add the WebGPU
// EP runs) against the same 8 Adds unrolled in one graph (state uploaded once). The difference per
// iteration is the round trip of the state; the K-step train graph carries all parameters and
// AdamW state this way, so on webgpu one step per run (state resident on the GPU) is the fast form.
// Second: a Scan whose body reads an outer-scope tensor computed on the GPU (as the eval graph's
// body reads the parameter views) against the same 8 iterations unrolled: outer-scope values are
// not copied per iteration, so evaluating E batches per run costs no parameter round trips.
import { Graph, subgraph } from '../src/onnx/graph.js';
import { sessionFor, tensor } from '../src/onnx/session.js';
const K = 8;
for (const N of [1 << 18, 1 << 20, 1 << 22]) {
  const g = new Graph('scan');
  const x = g.input('x', 'float32', [N]);
  const it = g.input('it', 'float32', [K]);
  const body = subgraph(g, 'body');
  const c = body.input('c', 'float32', [N]);
  const i = body.input('i', 'float32', []);
  body.output(body.op('Add', [c, i]));
  const [y] = g.node('Scan', [x, it], { body, num_scan_inputs: 1 }, { outputs: 1 });
  g.output(y, 'y');
  const u = new Graph('unrolled');
  let v = u.input('x', 'float32', [N]);
  const ui = u.input('it', 'float32', [K]);
  for (let k = 0; k < K; k++) v = u.op('Add', [v, u.op('Gather', [ui, u.scalar(k, 'int64')], { axis: 0 })]);
  u.output(v, 'y');
  const feeds = {
    x: tensor('float32', new Float32Array(N).fill(1), [N]),
    it: tensor('float32', new Float32Array(K).fill(1), [K]),
  };
  const res: Record<string, number> = {};
  for (const [name, graph] of [
    ['scan', g],
    ['unrolled', u],
  ] as const) {
    const s = await sessionFor(graph, { executionProviders: ['webgpu', 'cpu'] });
    await s.run(feeds);
    const t0 = performance.now();
    for (let r = 0; r < 5; r++) await s.run(feeds);
    res[name] = (performance.now() - t0) / 5;
    const out = (await s.run(feeds)).y.data as Float32Array;
    if (out[N - 1] !== 1 + K) throw new Error(`${name}: got ${out[N - 1]}`);
    await s.release();
  }
  console.log(
    JSON.stringify({
      N,
      MB: (N * 4) / 2 ** 20,
      K,
      scanMsPerIter: (res.scan / K).toFixed(2),
      unrolledMsPerIter: (res.unrolled / K).toFixed(2),
    }),
  );
}

const N = 1 << 22;
const timed = async (s: Awaited<ReturnType<typeof sessionFor>>, feeds: Record<string, ReturnType<typeof tensor>>) => {
  await s.run(feeds);
  const t0 = performance.now();
  for (let r = 0; r < 4; r++) await s.run(feeds);
  return (performance.now() - t0) / 4;
};
const outer = new Graph('outer');
const w = outer.op('Mul', [outer.input('w', 'float32', [N]), outer.scalar(2, 'float32')]);
const its = outer.input('it', 'float32', ['k']);
const reader = subgraph(outer, 'reader');
const ri = reader.input('i', 'float32', []);
reader.output(reader.op('ReduceSum', [reader.op('Add', [w, ri])], { keepdims: 0 }));
outer.output(outer.node('Scan', [its], { body: reader, num_scan_inputs: 1 }, { outputs: 1 })[0], 'y');
const flat = new Graph('flat');
const fw = flat.op('Mul', [flat.input('w', 'float32', [N]), flat.scalar(2, 'float32')]);
const fi = flat.input('it', 'float32', [K]);
const sums = Array.from({ length: K }, (_, k) =>
  flat.op('ReduceSum', [flat.op('Add', [fw, flat.op('Gather', [fi, flat.scalar(k, 'int64')], { axis: 0 })])], {
    keepdims: 1,
  }),
);
flat.output(flat.op('Concat', sums, { axis: 0 }), 'y');
const so = await sessionFor(outer, { executionProviders: ['webgpu', 'cpu'] });
const sf = await sessionFor(flat, { executionProviders: ['webgpu', 'cpu'] });
const wt = tensor('float32', new Float32Array(N).fill(1), [N]);
const one = await timed(so, { w: wt, it: tensor('float32', new Float32Array(1), [1]) });
const eight = await timed(so, { w: wt, it: tensor('float32', new Float32Array(K), [K]) });
const unrolled = await timed(sf, { w: wt, it: tensor('float32', new Float32Array(K), [K]) });
console.log(
  JSON.stringify({
    outerScopeMB: (N * 4) / 2 ** 20,
    K,
    scanMs: eight.toFixed(1),
    scanMsPerExtraIter: ((eight - one) / (K - 1)).toFixed(1),
    unrolledMs: unrolled.toFixed(1),
  }),
);
await Promise.all([so.release(), sf.release()]);
