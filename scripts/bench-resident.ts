// `node --import tsx scripts/bench-resident.ts`: on the WebGPU device, ms per optimizer step and
// bytes per ORT run for a small BERT (2 layers, hidden 64, seq 32, batch 8, AdamW, clipping) with
// the training state resident on the device (K = 1 and K = 8 steps per call) versus crossing
// host memory every run (the one-step graph, and the Scan graph with K = 8). Runners take turns
// (rounds after a warm-up round), so a shared machine's noise hits all of them alike; the median
// and range of the rounds are printed. Options: --rounds N (default 4), --steps N per round (16).
import { tmpdir } from 'node:os';
import { Runner, type RunnerOptions } from '../src/engine/runner.js';
import type { MicroBatch } from '../src/engine/feeds.js';
import { parseBertConfig } from '../src/models/bert/config.js';
import { BertModel } from '../src/models/bert/index.js';
import { initWeights } from '../src/models/weights.js';
import { mulberry32 } from '../src/util/random.js';

process.env.XDG_RUNTIME_DIR ??= tmpdir();
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 4);
const STEPS = arg('steps', 16);
const B = 8,
  S = 32;

const cfg = parseBertConfig({
  model_type: 'bert',
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 128,
  vocab_size: 500,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
});
const model = new BertModel(cfg, 2, { dropout: 0 });

function batch(seed: number): MicroBatch {
  const r = mulberry32(seed);
  const ids = BigInt64Array.from({ length: B * S }, () => BigInt(1 + Math.floor(r() * 498)));
  return {
    input_ids: { data: ids, dims: [B, S] },
    attention_mask: { data: new BigInt64Array(B * S).fill(1n), dims: [B, S] },
    token_type_ids: { data: new BigInt64Array(B * S), dims: [B, S] },
    labels: { data: BigInt64Array.from({ length: B }, (_, b) => BigInt((seed + b) % 2)), dims: [B] },
  };
}

const modes: { name: string; opts: Partial<RunnerOptions>; K: number }[] = [
  { name: 'resident, K=1', opts: { resident: true }, K: 1 },
  { name: 'resident, K=8 (8 runs per call)', opts: { resident: true }, K: 8 },
  { name: 'host, one-step graph, K=1', opts: { resident: false, loop: false }, K: 1 },
  { name: 'host, Scan graph, K=8', opts: { resident: false, loop: true }, K: 8 },
];
const params = initWeights(model, 1);
const runners = await Promise.all(
  modes.map((m) =>
    Runner.create(model, {
      params,
      optimizer: { kind: 'adamw' },
      maxGradNorm: 1,
      device: 'webgpu',
      threads: 1,
      ...m.opts,
    }),
  ),
);
const times = modes.map(() => [] as number[]);
for (let round = 0; round <= ROUNDS; round++) {
  for (const [m, { K }] of modes.entries()) {
    const t = performance.now();
    for (let i = 0; i < STEPS / K; i++)
      await runners[m].step(
        Array.from({ length: K }, (_, k) => batch(i * K + k)),
        Array<number>(K).fill(1e-4),
      );
    if (round > 0) times[m].push((performance.now() - t) / STEPS); // round 0 warms up (shader compilation)
  }
}
console.log(`state: ${runners[0].transferSummary.stateBytes} bytes`);
for (const [m, { name }] of modes.entries()) {
  const s = runners[m].transferSummary.train;
  const ts = times[m].sort((a, b) => a - b);
  console.log(
    `${name}: ms/step median ${ts[Math.floor(ts.length / 2)].toFixed(1)} (${ts[0].toFixed(1)}-${ts[ts.length - 1].toFixed(1)}); per ORT run ${Math.round(s.uploadBytes / s.runs)} B up, ${Math.round(s.downloadBytes / s.runs)} B down`,
  );
}
for (const r of runners) await r.release();
