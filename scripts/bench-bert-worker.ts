// One round of `npm run bench` for our side (bundled and run by scripts/bench-bert.mjs): BERT-mini
// training steps through the Runner, timed after a warmup, printing one JSON line with samples/s
// and peak RSS (VmHWM). Default: steps_per_run=auto, each run's K chosen as the trainer chooses it
// (autoSteps, from the last run's seconds per step). --k K fixes K for experiments (K = 1: the plain
// one-step graph; --loop: the Scan graph even for K = 1); --layout per-param: the pre-flat state.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as ortModule from 'onnxruntime-node';
import type { MicroBatch } from '../src/engine/feeds.js';
import { Runner } from '../src/engine/runner.js';
import type { LayoutKind } from '../src/engine/state-layout.js';
import { parseBertConfig } from '../src/models/bert/config.js';
import { BertModel } from '../src/models/bert/index.js';
import { initWeights } from '../src/models/weights.js';
import { autoSteps } from '../src/train/trainer.js';
import { mulberry32 } from '../src/util/random.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt?: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const num = (name: string, dflt: number) => Number(arg(name, String(dflt)));
const cfg = {
  layers: num('layers', 4),
  hidden: num('hidden', 256),
  heads: num('heads', 4),
  intermediate: num('intermediate', 1024),
  vocab: num('vocab', 30522),
  seq: num('seq', 128),
  batch: num('batch', 16),
  steps: num('steps', 30),
  warmup: num('warmup', 4),
  threads: num('threads', Math.min(cpus().length, 2)),
};
const fixedK = arg('k') === undefined ? undefined : num('k', 1);

const rssMiB = () => Math.round(process.memoryUsage.rss() / 1048576);
const rss: Record<string, number> = { start: rssMiB() };

// Session option experiments (--opt-level, --profile, --no-arena) without touching the engine:
// wrap InferenceSession.create for this process only.
const ort = ((ortModule as unknown as { default?: typeof ortModule }).default ?? ortModule) as typeof ortModule;
type CreateOptions = Parameters<typeof ort.InferenceSession.create>[1];
const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (
  b: Uint8Array,
  o?: CreateOptions,
) => Promise<ortModule.InferenceSession>;
const profile = arg('profile');
(ort.InferenceSession as unknown as { create: typeof create }).create = (bytes, o = {}) =>
  create(bytes, {
    ...o,
    graphOptimizationLevel: arg('opt-level', o.graphOptimizationLevel ?? 'all') as 'all',
    ...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
    ...(argv.includes('--no-arena') ? { enableCpuMemArena: false } : {}),
  });

const config = parseBertConfig({
  hidden_size: cfg.hidden,
  num_hidden_layers: cfg.layers,
  num_attention_heads: cfg.heads,
  intermediate_size: cfg.intermediate,
  vocab_size: cfg.vocab,
  max_position_embeddings: Math.max(512, cfg.seq),
  type_vocab_size: 2,
  hidden_act: 'gelu',
});
const model = new BertModel(config, 2, { seed: 1 });
const t0 = performance.now();
const runner = await Runner.create(model, {
  optimizer: { kind: 'adamw', weightDecay: 0.01, eps: 1e-8 },
  maxGradNorm: 0,
  // the initial weights are the runner's to copy; nothing here keeps them
  params: initWeights(model, 0),
  threads: cfg.threads,
  loop: fixedK === undefined || fixedK > 1 || argv.includes('--loop'),
  layout: arg('layout', 'flat') as LayoutKind,
});
const sessionSeconds = (performance.now() - t0) / 1000;
rss.session = rssMiB();

const r = mulberry32(0);
const n = cfg.batch * cfg.seq;
const dims = [cfg.batch, cfg.seq];
const batch: MicroBatch = {
  input_ids: { data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * cfg.vocab))), dims },
  attention_mask: { data: new BigInt64Array(n).fill(1n), dims },
  token_type_ids: { data: new BigInt64Array(n), dims },
  labels: { data: BigInt64Array.from({ length: cfg.batch }, () => BigInt(Math.floor(r() * 2))), dims: [cfg.batch] },
};
const policy = { runSeconds: 5, accumulate: 1, batchSize: cfg.batch, maxLength: cfg.seq };
let secondsPerStep: number | undefined;
const runs: number[] = [];
/** `steps` optimizer steps in runs of K (fixed, or auto from the last run's seconds per step). */
async function train(steps: number, record: boolean) {
  for (let done = 0; done < steps;) {
    const K = Math.min(steps - done, fixedK ?? autoSteps(policy, secondsPerStep));
    const t = performance.now();
    await runner.step(new Array(K).fill(batch), new Array(K).fill(2e-5));
    secondsPerStep = (performance.now() - t) / 1000 / K;
    if (record) runs.push(K);
    done += K;
  }
}
await train(cfg.warmup, false);
rss.warm = rssMiB();
const t1 = performance.now();
await train(cfg.steps, true);
const dt = (performance.now() - t1) / 1000 / cfg.steps;
/** Nodes of the step graph, its Scan body included. */
const countNodes = (g: { nodes: { attrs: Record<string, unknown> }[] }): number =>
  g.nodes.reduce(
    (a, n) =>
      a +
      1 +
      Object.values(n.attrs).reduce<number>(
        (b, v) =>
          b + (v && typeof v === 'object' && 'nodes' in v ? countNodes(v as Parameters<typeof countNodes>[0]) : 0),
        0,
      ),
    0,
  );
const nodes = countNodes(runner.stepGraph.graph);
if (profile)
  console.error(`profile: ${(runner as unknown as { session: ortModule.InferenceSession }).session.endProfiling()}`);
await runner.release();
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
const maxRss = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
const ortPkg = JSON.parse(readFileSync(new URL('../../onnxruntime-node/package.json', import.meta.url), 'utf8'));
console.log(
  JSON.stringify({
    impl: `onnxruntime-node-${ortPkg.version}`,
    threads: cfg.threads,
    step_ms: Math.round(dt * 10000) / 10,
    samples_per_s: Math.round((cfg.batch / dt) * 100) / 100,
    max_rss_mib: Math.round(maxRss * 10) / 10,
    nodes,
    session_s: Math.round(sessionSeconds * 10) / 10,
    runs,
    rss_mib: rss,
  }),
);
