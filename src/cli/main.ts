// The `textclf` command: parse flags from the one schema, run, print where the results are.
import { FlagError, parseFlags } from '../config/parse.js';
import { lineLogger } from '../util/logger.js';
import { runTraining } from '../train/run.js';
import { helpText, parseArgv } from './args.js';
import { doctorCommand } from './doctor.js';
import { DEMO_CLI_FLAGS, prepareDemo } from '../demo/prepare.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

export async function main(argv: string[]): Promise<number> {
  const log = lineLogger();
  try {
    if (argv[0] === 'doctor') return await doctorCommand(argv.slice(1));
    const args = parseArgv(argv);
    if (args.help || !args.command || args.command === 'help') {
      process.stdout.write(helpText() + '\n');
      return args.help ? 0 : 1; // asked for help: 0; no command (or bare `help`): usage error
    }
    if (args.command === 'demo-data') return await demoData(args.raw);
    if (args.command !== 'train' && args.command !== 'demo') {
      throw new FlagError(
        args.command,
        `unknown command '${args.command}'; use 'textclf train', 'textclf demo', 'textclf demo-data' or 'textclf doctor'`,
      );
    }
    let raw = args.raw;
    if (args.command === 'demo') {
      const merged: Record<string, string> = { ...DEMO_CLI_FLAGS, ...raw };
      raw = { ...merged, ...(await prepareDemo(merged.output_dir, Number(merged.seed ?? 42))) };
    }
    const flags = parseFlags(raw, 'cli');
    const controller = new AbortController();
    const stop = (sig: string) => {
      if (controller.signal.aborted) process.exit(130);
      log.warning(`${sig}: stopping after the current step and saving a checkpoint (press again to quit at once)`);
      controller.abort();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    const cacheDir = process.env.XDG_CACHE_HOME
      ? join(process.env.XDG_CACHE_HOME, 'textclf')
      : join(homedir(), '.cache', 'textclf');
    const r = await runTraining(flags, { log, signal: controller.signal, defaultCacheDir: cacheDir });
    const t = r.metrics.test;
    process.stdout.write(
      [
        '',
        t
          ? `test accuracy ${(t.accuracy * 100).toFixed(2)}%  precision ${t.precision.toFixed(4)}  recall ${t.recall.toFixed(4)}  F1 ${t.f1.toFixed(4)}  loss ${t.loss.toFixed(4)}`
          : 'no test split',
        `report:     ${r.reportPath}`,
        `metrics:    ${join(r.outputDir, 'metrics.json')}`,
        `checkpoint: ${r.checkpointDir}`,
        '',
      ].join('\n'),
    );
    return r.metrics.run.cancelled ? 130 : 0;
  } catch (e) {
    const err = e as Error;
    log.error(err.message);
    if (process.env.TEXTCLF_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** `textclf demo-data`: the demo's datastore and tiny untrained BERT, to try `train` or the action on. */
async function demoData(raw: Record<string, string>): Promise<number> {
  const unknown = Object.keys(raw).filter((k) => k !== 'output_dir' && k !== 'seed');
  if (unknown.length)
    throw new FlagError(unknown[0], `demo-data takes --output_dir and --seed only, not --${unknown[0]}`);
  const outputDir = raw.output_dir ?? DEMO_CLI_FLAGS.output_dir;
  const seed = raw.seed === undefined ? 42 : Number(raw.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new FlagError('seed', `--seed: '${raw.seed}' is not valid; expected an integer >= 0`);
  const { datastore, model_name_or_path } = await prepareDemo(outputDir, seed);
  process.stdout.write(`datastore:          ${datastore}\nmodel_name_or_path: ${model_name_or_path}\n`);
  return 0;
}
