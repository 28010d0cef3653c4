#!/usr/bin/env node
// `npm run bench`: BERT-mini training speed and peak memory, ours (ONNX Runtime train-step graph:
// forward + autodiff + AdamW) next to the PyTorch reference (torch_bert.py bench), measured in this
// run, same environment, same thread count, one after the other (never concurrently).
//
//   node scripts/bench-bert.mjs [--threads N] [--steps S] [--warmup W] [--rounds R] [--seq T] [--batch B]
//                               [--layers L] [--hidden H] [--heads A] [--intermediate I] [--vocab V]
//                               [--k K | --loop] [--layout flat|per-param]
//                               [--opt-level all|extended|basic|disabled] [--profile FILE]
//
// Ours (scripts/bench-bert-worker.ts, bundled first as the shipped CLI is) trains with the default
// flags: steps_per_run=auto picks the steps of each ORT run as the trainer does (src/train/trainer.ts
// autoSteps); --k K fixes K for experiments (--k 1: the plain one-step graph, --loop: the Scan graph
// at K = 1). Each side runs in its own child process so peak RSS (VmHWM / ru_maxrss) is that side's
// alone. Rounds alternate torch, ours, torch, ours ...; the
// machine is shared, so one round says little: the summary gives the median of the rounds (and
// min-max), and the ratio of the medians.
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
  steps: num('steps', 30),
  warmup: num('warmup', 4),
  threads: num('threads', Math.min(cpus().length, 2)),
};

await main();

async function main() {
  const refDir = process.env.TORCH_BERT_DIR ?? resolve(root, '..', 'shared', 'reference');
  const torchBert = join(refDir, 'torch_bert.py');
  const python = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3';
  const rounds = num('rounds', 3);
  const env = { ...process.env, OMP_NUM_THREADS: String(cfg.threads) };
  console.log(
    `BERT-mini training bench: ${cfg.layers} layers, hidden ${cfg.hidden}, ${cfg.heads} heads, intermediate ${cfg.intermediate}, vocab ${cfg.vocab}, seq ${cfg.seq}, batch ${cfg.batch}; ${cfg.threads} thread(s), ${cfg.steps} timed steps after ${cfg.warmup} warmup, ${rounds} alternating round(s); ours: ${arg('k') ? `steps_per_run ${arg('k')}` : 'default flags (steps_per_run auto)'}`,
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
  // Ours runs bundled, as the shipped CLI does (dist/cli.js): plain node, no TypeScript loader.
  const workerBundle = await bundleWorker();
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
        `  round ${r + 1} torch: ${res.samples_per_s} samples/s (${res.step_ms} ms/step), peak RSS ${res.max_rss_mib} MiB (load ${readLoad()})`,
      );
      all.torch.push(res);
    }
    const o = run(process.execPath, [workerBundle, ...argv], env, 'ours')[0];
    console.log(
      `  round ${r + 1} ours:  ${o.samples_per_s} samples/s (${o.step_ms} ms/step), peak RSS ${o.max_rss_mib} MiB (graph ${o.nodes} nodes, session ${o.session_s} s, steps per run ${o.runs.join(' ')}; load ${readLoad()})`,
    );
    all.ours.push(o);
  }
  const median = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const cell = (rows, key) => {
    const xs = rows.map((x) => x[key]);
    return `${round2(median(xs))} (${round2(Math.min(...xs))}-${round2(Math.max(...xs))})`;
  };
  console.log('');
  console.log(`| impl | threads | samples/s median (min-max) | ms/step | peak RSS MiB |`);
  console.log('|---|---|---|---|---|');
  for (const rows of [all.torch, all.ours].filter((x) => x.length)) {
    console.log(
      `| ${rows[0].impl} | ${rows[0].threads} | ${cell(rows, 'samples_per_s')} | ${cell(rows, 'step_ms')} | ${cell(rows, 'max_rss_mib')} |`,
    );
  }
  if (all.torch.length) {
    const best = (rows) => Math.max(...rows.map((x) => x.samples_per_s));
    const med = (rows, key) => median(rows.map((x) => x[key]));
    console.log(
      `\nratio ours/torch: ${(best(all.ours) / best(all.torch)).toFixed(2)}x samples/s (best rounds), ` +
        `${(med(all.ours, 'samples_per_s') / med(all.torch, 'samples_per_s')).toFixed(2)}x (median rounds: ${round2(med(all.ours, 'samples_per_s'))} vs ${round2(med(all.torch, 'samples_per_s'))}), ` +
        `${(med(all.ours, 'max_rss_mib') / med(all.torch, 'max_rss_mib')).toFixed(2)}x peak RSS (medians: ${round2(med(all.ours, 'max_rss_mib'))} vs ${round2(med(all.torch, 'max_rss_mib'))} MiB)`,
    );
  }
}

async function bundleWorker() {
  const { build } = await import('esbuild');
  // Under node_modules so the bundle resolves onnxruntime-node (external: native) from this checkout.
  const outfile = join(root, 'node_modules', '.cache', 'textclf-bench', 'bench-bert-worker.mjs');
  await build({
    entryPoints: [join(here, 'bench-bert-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['onnxruntime-node', 'onnxruntime-common'],
    logLevel: 'warning',
  });
  return outfile;
}

function round2(x) {
  return Math.round(x * 100) / 100;
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
