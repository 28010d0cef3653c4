// `npm run bench:engine`: optimizer steps/s of the train-step graph on CPU (AdamW, clipping on),
// for a small MLP and for 4 post-LN transformer blocks (hidden 256, 4 heads, intermediate 1024,
// seq 128, batch 16, erf GELU), with K = 1 and K = 8 optimizer steps per ORT run.
// Options: --threads N (intra-op threads, default 0 = all cores), --quick (fewer timed runs),
// --mlp / --transformer (one model only).
import os from 'node:os';
import type { Graph, Value } from '../src/onnx/graph.js';
import type { BatchInputSpec, ForwardOutputs, ParamSpec, TrainableModel } from '../src/engine/contract.js';
import type { MicroBatch } from '../src/engine/feeds.js';
import { Runner } from '../src/engine/runner.js';
import { mulberry32 } from '../src/util/random.js';
import { numElements } from '../src/util/shape.js';

/** Uniform in [-0.5, 0.5). */
function rand(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r() - 0.5;
}
const filled = (n: number, scale: number, r: () => number) => Float32Array.from({ length: n }, () => r() * 2 * scale);

class BenchMlp implements TrainableModel {
  readonly params: ParamSpec[] = [];
  readonly batchInputs: BatchInputSpec[];
  constructor(
    readonly sizes: number[],
    readonly batch: number,
  ) {
    sizes.slice(1).forEach((out, l) => {
      this.params.push(
        { name: `fc${l}.weight`, shape: [out, sizes[l]], decay: true },
        { name: `fc${l}.bias`, shape: [out], decay: false },
      );
    });
    this.batchInputs = [
      { name: 'x', dtype: 'float32', shape: [batch, sizes[0]] },
      { name: 'labels', dtype: 'int64', shape: [batch] },
    ];
  }
  forward(g: Graph, p: Map<string, Value>, b: Record<string, Value>): ForwardOutputs {
    let h = b.x;
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      h = g.op('Gemm', [h, p.get(`fc${l}.weight`)!, p.get(`fc${l}.bias`)!], { transB: 1 });
      if (l + 2 < this.sizes.length) h = g.op('Relu', [h]);
    }
    return { logits: h, loss: g.node('SoftmaxCrossEntropyLoss', [h, b.labels], { reduction: 'mean' })[0] };
  }
  batchData(r: () => number): MicroBatch {
    return {
      x: { data: filled(this.batch * this.sizes[0], 1, r), dims: [this.batch, this.sizes[0]] },
      labels: {
        data: BigInt64Array.from({ length: this.batch }, (_, i) => BigInt(i % this.sizes[this.sizes.length - 1])),
        dims: [this.batch],
      },
    };
  }
}

/** Token embedding + N post-LN encoder blocks (BERT layout: 2-D hidden states, Gemm on [out, in] weights) + [CLS] classifier. */
class BenchTransformer implements TrainableModel {
  readonly params: ParamSpec[] = [];
  readonly batchInputs: BatchInputSpec[];
  constructor(
    readonly o: {
      layers: number;
      hidden: number;
      heads: number;
      inter: number;
      seq: number;
      batch: number;
      vocab: number;
      labels: number;
    },
  ) {
    const { hidden: H, inter: I } = o;
    const lin = (name: string, out: number, inp: number) =>
      this.params.push(
        { name: `${name}.weight`, shape: [out, inp], decay: true },
        { name: `${name}.bias`, shape: [out], decay: false },
      );
    const ln = (name: string) =>
      this.params.push(
        { name: `${name}.weight`, shape: [H], decay: false },
        { name: `${name}.bias`, shape: [H], decay: false },
      );
    this.params.push({ name: 'embed.weight', shape: [o.vocab, H], decay: true });
    ln('embed.LayerNorm');
    for (let l = 0; l < o.layers; l++) {
      for (const n of ['query', 'key', 'value', 'out']) lin(`layer${l}.attn.${n}`, H, H);
      ln(`layer${l}.attn.LayerNorm`);
      lin(`layer${l}.ffn.in`, I, H);
      lin(`layer${l}.ffn.out`, H, I);
      ln(`layer${l}.ffn.LayerNorm`);
    }
    lin('classifier', o.labels, H);
    this.batchInputs = [
      { name: 'input_ids', dtype: 'int64', shape: [o.batch, o.seq] },
      { name: 'labels', dtype: 'int64', shape: [o.batch] },
    ];
  }

  forward(g: Graph, p: Map<string, Value>, b: Record<string, Value>): ForwardOutputs {
    const { batch: B, seq: S, hidden: H, heads: NH, layers } = this.o;
    const dh = H / NH;
    const P = (n: string) => p.get(n)!;
    const linear = (x: Value, n: string) => g.op('Gemm', [x, P(`${n}.weight`), P(`${n}.bias`)], { transB: 1 });
    const layerNorm = (x: Value, n: string) =>
      g.node(
        'LayerNormalization',
        [x, P(`${n}.weight`), P(`${n}.bias`)],
        { axis: -1, epsilon: 1e-12 },
        { outputs: 1 },
      )[0];
    const heads = (x: Value) =>
      g.op('Transpose', [g.op('Reshape', [x, g.ints([B, S, NH, dh])])], { perm: [0, 2, 1, 3] });
    const ids2d = g.op('Reshape', [b.input_ids, g.ints([B * S])]);
    let h = layerNorm(g.op('Gather', [P('embed.weight'), ids2d], { axis: 0 }), 'embed.LayerNorm'); // [B*S, H]
    const scale = g.scalar(1 / Math.sqrt(dh), 'float32');
    for (let l = 0; l < layers; l++) {
      const a = `layer${l}.attn`;
      const q = heads(linear(h, `${a}.query`));
      const kT = g.op('Transpose', [g.op('Reshape', [linear(h, `${a}.key`), g.ints([B, S, NH, dh])])], {
        perm: [0, 2, 3, 1],
      });
      const v = heads(linear(h, `${a}.value`));
      const probs = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [q, kT]), scale])], { axis: -1 });
      const ctx = g.op('Reshape', [
        g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }),
        g.ints([B * S, H]),
      ]);
      h = layerNorm(g.op('Add', [h, linear(ctx, `${a}.out`)]), `${a}.LayerNorm`);
      const f = `layer${l}.ffn`;
      const u = linear(h, `${f}.in`);
      const gelu = g.op('Mul', [
        g.op('Mul', [u, g.scalar(0.5, u)]),
        g.op('Add', [g.op('Erf', [g.op('Mul', [u, g.scalar(Math.SQRT1_2, u)])]), g.scalar(1, u)]),
      ]);
      h = layerNorm(g.op('Add', [h, linear(gelu, `${f}.out`)]), `${f}.LayerNorm`);
    }
    const cls = g.op('Gather', [g.op('Reshape', [h, g.ints([B, S, H])]), g.scalar(0, 'int64')], { axis: 1 }); // [B, H]
    const logits = linear(cls, 'classifier');
    return { logits, loss: g.node('SoftmaxCrossEntropyLoss', [logits, b.labels], { reduction: 'mean' })[0] };
  }

  batchData(r: () => number): MicroBatch {
    const { batch: B, seq: S, vocab, labels } = this.o;
    return {
      input_ids: {
        data: BigInt64Array.from({ length: B * S }, () => BigInt(Math.floor((r() + 0.5) * vocab))),
        dims: [B, S],
      },
      labels: { data: BigInt64Array.from({ length: B }, (_, i) => BigInt(i % labels)), dims: [B] },
    };
  }
}

function initParams(m: TrainableModel, seed: number): Map<string, Float32Array> {
  const r = rand(seed);
  return new Map(
    m.params.map((p) => {
      const isNormWeight = p.name.endsWith('LayerNorm.weight');
      const data = p.name.endsWith('.bias')
        ? new Float32Array(numElements(p.shape))
        : isNormWeight
          ? new Float32Array(numElements(p.shape)).fill(1)
          : filled(numElements(p.shape), 0.04, r);
      return [p.name, data];
    }),
  );
}

interface Row {
  model: string;
  graph: string;
  K: number;
  runs: number;
  stepsPerSec: number;
  msPerStep: number;
  cpuMsPerStep: number;
  samplesPerSec: number;
  buildSec: number;
  lastLoss: number;
}

async function bench(
  name: string,
  m: BenchMlp | BenchTransformer,
  samples: number,
  K: number,
  loop: boolean,
  runs: number,
  threads: number,
): Promise<Row> {
  const r = rand(K * 31 + 7);
  const data = Array.from({ length: K }, () => m.batchData(r));
  const t0 = performance.now();
  const runner = await Runner.create(m, {
    params: initParams(m, 1),
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    maxGradNorm: 1,
    loop,
    threads,
  });
  const buildSec = (performance.now() - t0) / 1000;
  const lrs = Array(K).fill(1e-4);
  await runner.step(data, lrs); // warm-up: first run pays ORT's allocations
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  let last = 0;
  for (let i = 0; i < runs; i++) last = (await runner.step(data, lrs)).losses[K - 1];
  const sec = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(c1);
  await runner.release();
  const steps = runs * K;
  return {
    model: name,
    graph: loop ? 'Scan' : 'plain',
    K,
    runs,
    stepsPerSec: steps / sec,
    msPerStep: (1000 * sec) / steps,
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    samplesPerSec: (steps * samples) / sec,
    buildSec,
    lastLoss: last,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threads');
  const threads = ti >= 0 ? Number(args[ti + 1]) : 0;
  const quick = args.includes('--quick');
  const only = args.includes('--transformer') ? 'transformer' : args.includes('--mlp') ? 'MLP' : undefined;
  if (!Number.isInteger(threads) || threads < 0)
    throw new Error(`--threads must be an integer >= 0, got ${args[ti + 1]}`);

  const mlp = new BenchMlp([256, 512, 512, 2], 64);
  const tf = new BenchTransformer({
    layers: 4,
    hidden: 256,
    heads: 4,
    inter: 1024,
    seq: 128,
    batch: 16,
    vocab: 1024,
    labels: 2,
  });
  const count = (m: TrainableModel) => m.params.reduce((a, p) => a + numElements(p.shape), 0);
  console.log(
    `bench:engine — AdamW + clip, CPU, intra-op threads ${threads || `all (${os.availableParallelism()} cores)`}, Node ${process.version}`,
  );
  console.log(`  MLP 256-512-512-2, batch 64: ${count(mlp).toLocaleString('en-US')} params`);
  console.log(
    `  transformer 4 x (hidden 256, 4 heads, intermediate 1024), seq 128, batch 16, erf GELU: ${count(tf).toLocaleString('en-US')} params\n`,
  );

  // Wall time suffers when other processes share the cores; CPU time per step (all threads, incl.
  // ORT's spinning workers) is printed next to it so runs on a busy machine stay comparable.
  console.log(
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const rows: Row[] = [];
  const plan: [string, BenchMlp | BenchTransformer, number, number, boolean, number][] = [
    ['MLP', mlp, 64, 1, false, quick ? 50 : 200],
    ['MLP', mlp, 64, 1, true, quick ? 50 : 200],
    ['MLP', mlp, 64, 8, true, quick ? 8 : 25],
    ['transformer x4', tf, 16, 1, false, quick ? 2 : 4],
    ['transformer x4', tf, 16, 1, true, quick ? 2 : 4],
    ['transformer x4', tf, 16, 8, true, 1],
  ];
  for (const [name, m, samples, K, loop, runs] of plan.filter((p) => !only || p[0].startsWith(only))) {
    const row = await bench(name, m, samples, K, loop, runs, threads);
    rows.push(row);
    console.log(`  done: ${name} ${row.graph} K=${K} (${row.stepsPerSec.toFixed(2)} steps/s)`);
  }
  const header = [
    'model',
    'graph',
    'K',
    'timed steps',
    'steps/s',
    'ms/step',
    'CPU ms/step',
    'samples/s',
    'build s',
    'last loss',
  ];
  const cells = rows.map((r) => [
    r.model,
    r.graph,
    String(r.K),
    String(r.runs * r.K),
    r.stepsPerSec.toFixed(2),
    r.msPerStep.toFixed(1),
    r.cpuMsPerStep.toFixed(1),
    r.samplesPerSec.toFixed(1),
    r.buildSec.toFixed(2),
    r.lastLoss.toFixed(4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    `| ${c.map((x, i) => (i < 2 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  console.log(
    `\n${line(header)}\n|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const c of cells) console.log(line(c));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
