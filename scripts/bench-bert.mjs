#!/usr/bin/env node
// `npm run bench`: BERT-mini training speed and peak memory, ours (ONNX Runtime train-step graph:
// forward + autodiff + AdamW) next to the PyTorch reference (torch_bert.py bench), measured in this
// run, same environment, same thread count, one after the other (never concurrently).
//
//   node scripts/bench-bert.mjs [--threads N] [--steps S] [--warmup W] [--rounds R] [--seq T] [--batch B]
//                               [--layers L] [--hidden H] [--heads A] [--intermediate I] [--vocab V]
//                               [--opt-level all|extended|basic|disabled] [--profile FILE]
//
// Each side runs in its own child process so peak RSS (VmHWM / ru_maxrss) is that side's alone.
// Rounds alternate torch, ours, torch, ours ... and the best round of each is reported (this
// machine is shared, so the best round is the least disturbed one).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const num = (name, dflt) => Number(arg(name, dflt));
const cfg = {
  layers: num('layers', 4),
  hidden: num('hidden', 256),
  heads: num('heads', 4),
  intermediate: num('intermediate', 1024),
  vocab: num('vocab', 30522),
  seq: num('seq', 128),
  batch: num('batch', 16),
  steps: num('steps', 5),
  warmup: num('warmup', 2),
  threads: num('threads', Math.min(cpus().length, 2)),
};

if (argv.includes('--worker')) await worker();
else main();

function main() {
  const refDir = process.env.TORCH_BERT_DIR ?? resolve(root, '..', 'shared', 'reference');
  const torchBert = join(refDir, 'torch_bert.py');
  const python = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3';
  const rounds = num('rounds', 2);
  const env = { ...process.env, OMP_NUM_THREADS: String(cfg.threads) };
  console.log(
    `BERT-mini training bench: ${cfg.layers} layers, hidden ${cfg.hidden}, ${cfg.heads} heads, intermediate ${cfg.intermediate}, vocab ${cfg.vocab}, seq ${cfg.seq}, batch ${cfg.batch}; ${cfg.threads} thread(s), ${cfg.steps} timed steps after ${cfg.warmup} warmup, best of ${rounds} round(s)`,
  );
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${readLoad()}; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`,
  );
  const torchArgs = [
    'bench',
    '--layers',
    cfg.layers,
    '--hidden',
    cfg.hidden,
    '--heads',
    cfg.heads,
    '--intermediate',
    cfg.intermediate,
    '--vocab',
    cfg.vocab,
    '--seq',
    cfg.seq,
    '--batch',
    cfg.batch,
    '--steps',
    cfg.steps,
    '--warmup',
    cfg.warmup,
    '--threads',
    cfg.threads,
  ].map(String);
  // A wrapper so the reference reports its own peak RSS (ru_maxrss is KiB on Linux).
  const wrapper =
    'import json,resource,runpy,sys; sys.argv=sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__"); ' +
    'print(json.dumps({"max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, 1)}))';
  let torch, ours;
  const all = { torch: [], ours: [] };
  const haveTorch =
    existsSync(torchBert) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (!haveTorch)
    console.log(
      `PyTorch reference unavailable (${torchBert} with ${python}); install with bash ${join(refDir, 'setup.sh')}. Reporting ours only.`,
    );
  for (let r = 0; r < rounds; r++) {
    if (haveTorch) {
      const t = run(python, ['-c', wrapper, torchBert, ...torchArgs], env, 'torch_bert.py bench');
      const res = { ...t[0], ...t[1] };
      console.log(
        `  round ${r + 1} torch: ${res.samples_per_s} samples/s (${res.step_ms} ms/step), peak RSS ${res.max_rss_mib} MiB`,
      );
      all.torch.push(res.samples_per_s);
      if (!torch || res.samples_per_s > torch.samples_per_s) torch = res;
    }
    const extra = ['--opt-level', arg('opt-level', 'all'), ...(arg('profile') ? ['--profile', arg('profile')] : [])];
    const o = run(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--worker',
        ...argv.filter((a) => a !== '--worker'),
        ...extra,
      ],
      env,
      'ours',
    )[0];
    console.log(
      `  round ${r + 1} ours:  ${o.samples_per_s} samples/s (${o.step_ms} ms/step), peak RSS ${o.max_rss_mib} MiB (graph ${o.nodes} nodes, session ${o.session_s} s)`,
    );
    all.ours.push(o.samples_per_s);
    if (!ours || o.samples_per_s > ours.samples_per_s) ours = o;
  }
  console.log('');
  console.log('| impl | threads | samples/s | ms/step | peak RSS MiB |');
  console.log('|---|---|---|---|---|');
  if (torch)
    console.log(
      `| ${torch.impl} | ${torch.threads} | ${torch.samples_per_s} | ${torch.step_ms} | ${torch.max_rss_mib} |`,
    );
  console.log(`| ${ours.impl} | ${ours.threads} | ${ours.samples_per_s} | ${ours.step_ms} | ${ours.max_rss_mib} |`);
  if (torch) {
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    console.log(
      `\nratio ours/torch: ${(ours.samples_per_s / torch.samples_per_s).toFixed(2)}x samples/s (best rounds), ` +
        `${(median(all.ours) / median(all.torch)).toFixed(2)}x (median rounds: ${median(all.ours)} vs ${median(all.torch)}), ` +
        `${(ours.max_rss_mib / torch.max_rss_mib).toFixed(2)}x peak RSS`,
    );
  }
}

function readLoad() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** Runs a child and returns the JSON objects it printed (one per line). */
function run(cmd, args, env, what) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, cwd: root });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${what} failed with exit code ${r.status}`);
  }
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

async function worker() {
  // --k K: K optimizer steps per ORT run (the Loop graph; steps_per_run); --loop: Loop even for K=1.
  const K = num('k', 1);
  const { parseBertConfig } = await import('../src/models/bert/config.ts');
  const { BertModel } = await import('../src/models/bert/graph.ts');
  const { initBertWeights } = await import('../src/models/bert/load.ts');
  const { Runner } = await import('../src/engine/runner.ts');
  const { mulberry32 } = await import('../src/util/random.ts');
  const ortPkg = JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'));
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
  const params = initBertWeights(model.params, config, 0);
  const rssMiB = () => Math.round(process.memoryUsage.rss() / 1048576);
  const rss = { start: rssMiB() };
  // Session option experiments (--opt-level, --profile, --no-arena) without touching the engine:
  // wrap InferenceSession.create for this process only.
  const ort = (await import('onnxruntime-node')).default ?? (await import('onnxruntime-node'));
  const create = ort.InferenceSession.create.bind(ort.InferenceSession);
  const profile = arg('profile');
  ort.InferenceSession.create = (bytes, o = {}) =>
    create(bytes, {
      ...o,
      graphOptimizationLevel: arg('opt-level', o.graphOptimizationLevel ?? 'all'),
      ...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
      ...(argv.includes('--no-arena') ? { enableCpuMemArena: false } : {}),
      ...(argv.includes('--no-mem-pattern') ? { enableMemPattern: false } : {}),
      ...(argv.includes('--no-spin') ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    });
  const t0 = performance.now();
  const runner = await Runner.create(model, {
    optimizer: { kind: 'adamw', weightDecay: 0.01, eps: 1e-8 },
    maxGradNorm: 0,
    params,
    threads: cfg.threads,
    loop: K > 1 || argv.includes('--loop'),
  });
  const sessionSeconds = (performance.now() - t0) / 1000;
  rss.session = rssMiB();
  const r = mulberry32(0);
  const n = cfg.batch * cfg.seq;
  const dims = [cfg.batch, cfg.seq];
  const batch = {
    input_ids: { data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * cfg.vocab))), dims },
    attention_mask: { data: new BigInt64Array(n).fill(1n), dims },
    token_type_ids: { data: new BigInt64Array(n), dims },
    labels: { data: BigInt64Array.from({ length: cfg.batch }, () => BigInt(Math.floor(r() * 2))), dims: [cfg.batch] },
  };
  const lrs = new Array(K).fill(2e-5);
  const batches = new Array(K).fill(batch);
  for (let i = 0; i < cfg.warmup; i++) await runner.step(batches, lrs);
  rss.warm = rssMiB();
  const t1 = performance.now();
  for (let i = 0; i < cfg.steps; i++) await runner.step(batches, lrs);
  const dt = (performance.now() - t1) / 1000 / (cfg.steps * K);
  const nodes = runner.stepGraph.graph.nodes.length;
  if (profile) console.error(`profile: ${await runner['session'].endProfiling()}`);
  await runner.release();
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const maxRss = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      impl: `onnxruntime-node-${ortPkg.version}`,
      threads: cfg.threads,
      step_ms: Math.round(dt * 10000) / 10,
      samples_per_s: Math.round((cfg.batch / dt) * 100) / 100,
      max_rss_mib: Math.round(maxRss * 10) / 10,
      nodes,
      session_s: Math.round(sessionSeconds * 10) / 10,
      rss_mib: rss,
    }),
  );
}
