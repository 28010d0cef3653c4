// `textclf bench [--device D] [--model_type T] [--layers --hidden --heads --intermediate --vocab
// --seq --batch --steps --warmup --steps_per_run --threads --seed --precision] [--json]`: training samples/s
// and peak memory of a model of that shape on random tokens (defaults: BERT-mini, seq 128, batch 16).
import { supportedModelTypes } from '../models/registry.js';
import type { PrecisionFlag } from '../runtime/precision.js';
import { runBench, type BenchOptions, type BenchResult } from '../train/bench.js';
import type { Logger } from '../util/logger.js';
import { formatBytes } from '../util/bytes.js';

export const BENCH_USAGE = [
  'Usage: textclf bench [--device auto|cpu|webgpu|cuda|cuda:N] [--model_type bert|roberta|xlm-roberta|distilbert|modernbert]',
  '                     [--layers 4] [--hidden 256] [--heads 4] [--intermediate 1024] [--vocab 30522]',
  '                     [--seq 128] [--batch 16] [--steps 20] [--warmup 3] [--steps_per_run 1] [--threads 0]',
  '                     [--precision 32|16-mixed|bf16-mixed] [--json]',
  'Training samples/s and peak host memory of a model of that shape on random tokens.',
].join('\n');

const NUMBERS = {
  layers: [4, 1],
  hidden: [256, 1],
  heads: [4, 1],
  intermediate: [1024, 1],
  vocab: [30522, 2],
  seq: [128, 1],
  batch: [16, 1],
  steps: [20, 1],
  warmup: [3, 0],
  steps_per_run: [1, 1],
  threads: [0, 0],
  seed: [42, 0],
} as const;

/** --precision values and the Lightning 1.x spellings train accepts too. */
const PRECISIONS: Record<string, PrecisionFlag> = {
  '32': '32',
  '32-true': '32',
  '16-mixed': '16-mixed',
  '16': '16-mixed',
  'bf16-mixed': 'bf16-mixed',
  bf16: 'bf16-mixed',
};

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

/** argv -> options; every value checked (name, integer, lower bound), unknown flags refused. */
export function parseBenchArgs(argv: string[]): { opts: Omit<BenchOptions, 'log'>; json: boolean } {
  const values: Record<string, number> = Object.fromEntries(Object.entries(NUMBERS).map(([k, [d]]) => [k, d]));
  let device = 'auto';
  let modelType = 'bert';
  let precision: PrecisionFlag = '32';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') {
      json = true;
      continue;
    }
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new BenchUsageError(`unexpected argument '${a}'`);
    const name = m[1];
    const value = m[2] ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new BenchUsageError(`missing value for --${name}`);
    if (name === 'device') device = value;
    else if (name === 'precision') {
      const p = PRECISIONS[value];
      if (!p) throw new BenchUsageError(`--precision ${value}: expected 32, 16-mixed or bf16-mixed (or 16, bf16)`);
      precision = p;
    } else if (name === 'model_type') {
      if (!supportedModelTypes().includes(value))
        throw new BenchUsageError(`--model_type ${value}: supported are ${supportedModelTypes().join(', ')}`);
      modelType = value;
    } else if (name in NUMBERS) {
      const n = Number(value);
      const min = NUMBERS[name as keyof typeof NUMBERS][1];
      if (!/^\d+$/.test(value) || n < min)
        throw new BenchUsageError(`--${name} ${value}: expected an integer >= ${min}`);
      values[name] = n;
    } else throw new BenchUsageError(`unknown flag --${name}`);
  }
  if (values.hidden % values.heads !== 0)
    throw new BenchUsageError(`--hidden ${values.hidden} is not a multiple of --heads ${values.heads}`);
  return {
    json,
    opts: {
      modelType,
      device,
      layers: values.layers,
      hidden: values.hidden,
      heads: values.heads,
      intermediate: values.intermediate,
      vocab: values.vocab,
      seq: values.seq,
      batch: values.batch,
      steps: values.steps,
      warmup: values.warmup,
      stepsPerRun: values.steps_per_run,
      threads: values.threads,
      seed: values.seed,
      precision,
    },
  };
}

export function formatBench(r: BenchResult): string {
  return [
    `${r.modelType} L${r.layers}/H${r.hidden}/A${r.heads}/I${r.intermediate}, vocab ${r.vocab}, seq ${r.seq}, batch ${r.batch}: ${r.parameters.toLocaleString('en-US')} parameters`,
    r.deviceReason,
    `${r.samplesPerSecond.toFixed(1)} samples/s, ${r.msPerStep.toFixed(1)} ms/step over ${r.steps} steps (${r.stepsPerRun} per run); session ${r.sessionSeconds.toFixed(1)} s; peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    `precision ${r.precision}${r.skippedSteps !== undefined ? `: ${r.skippedSteps} timed steps skipped by loss scaling, loss scale ${r.lossScale}` : ''}`,
    `copies vs compute: state ${formatBytes(r.stateBytes)} ${r.state === 'device' ? 'kept on the device' : 'through host memory each run'}; per ONNX Runtime run ${formatBytes(r.perRun.uploadBytes)} up, ${formatBytes(r.perRun.downloadBytes)} down, ${r.perRun.hostMs.toFixed(2)} ms outside session.run, ${r.perRun.runMs.toFixed(1)} ms inside`,
  ].join('\n');
}

export async function benchCommand(
  argv: string[],
  log: Logger,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(BENCH_USAGE + '\n');
    return 0;
  }
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    out(`error: textclf bench: ${e.message}\n${BENCH_USAGE}\n`);
    return 2;
  }
  const r = await runBench({ ...parsed.opts, log });
  out((parsed.json ? JSON.stringify(r) : formatBench(r)) + '\n');
  return 0;
}
