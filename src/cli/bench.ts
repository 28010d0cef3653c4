// `textclf bench [flags]`: training samples/s and peak memory of a model of that shape on random
// tokens (defaults: BERT-mini, seq 128, batch 16). Its flags are the schema's (config/schema.ts,
// command bench: `textclf bench --help`); a usage error exits 2 with the usage line.
import { FlagError, parseFlags } from '../config/parse.js';
import { supportedModelTypes } from '../models/registry.js';
import { runBench, type BenchOptions, type BenchResult } from '../train/bench.js';
import type { Logger } from '../util/logger.js';
import { formatBytes } from '../util/bytes.js';
import { helpText, parseArgv, usageOf } from './args.js';

/** argv -> options, through the schema; then what the schema cannot say (the registry, hidden / heads). */
export function parseBenchArgs(argv: string[]): { opts: Omit<BenchOptions, 'log'>; json: boolean } {
  const f = parseFlags(parseArgv(['bench', ...argv]).raw, 'cli', 'bench');
  if (f.steps_per_run === 'auto')
    throw new FlagError('steps_per_run', '--steps_per_run auto is for training; bench takes an integer >= 1');
  if (!supportedModelTypes().includes(f.model_type))
    throw new FlagError(
      'model_type',
      `--model_type ${f.model_type}: supported are ${supportedModelTypes().join(', ')}`,
    );
  if (f.hidden % f.heads !== 0)
    throw new FlagError('hidden', `--hidden ${f.hidden} is not a multiple of --heads ${f.heads}`);
  return {
    json: f.json,
    opts: {
      modelType: f.model_type,
      device: f.device,
      layers: f.layers,
      hidden: f.hidden,
      heads: f.heads,
      intermediate: f.intermediate,
      vocab: f.vocab,
      seq: f.seq,
      batch: f.batch,
      steps: f.steps,
      warmup: f.warmup,
      stepsPerRun: f.steps_per_run,
      threads: f.threads,
      seed: f.seed,
      precision: f.precision,
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
    out(helpText('bench') + '\n');
    return 0;
  }
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    out(`error: textclf bench: ${e.message}\n${usageOf('bench')}\n`);
    return 2;
  }
  const r = await runBench({ ...parsed.opts, log });
  out((parsed.json ? JSON.stringify(r) : formatBench(r)) + '\n');
  return 0;
}
