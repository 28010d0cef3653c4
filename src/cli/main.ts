// The `textclf` command: parse flags from the one schema, run, print where the results are.
import { FlagError, parseFlags } from '../config/parse.js';
import { lineLogger, type Logger } from '../util/logger.js';
import { CancelledError, cancelOnSignals, type SignalCancel } from '../util/cancel.js';
import { defaultCacheDir } from '../util/cache-dir.js';
import { checkOutputDir } from '../util/output-dir.js';
import { packageVersion } from '../util/package-version.js';
import { runTraining, type RunResult } from '../train/run.js';
import { checkOutputFlags } from '../train/output-dir.js';
import { allCommands, COMMANDS, commandList, helpText, parseArgv, usageOf } from './args.js';
import { benchCommand } from './bench.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand, formatMetrics } from './evaluate.js';
import { predictCommand } from './predict.js';
import { provisionCommand } from './provision.js';
import { DEMO_CLI_FLAGS, prepareDemo } from '../demo/prepare.js';
import { join } from 'node:path';

const isCommand = (c: string | undefined): c is (typeof COMMANDS)[number] =>
  (COMMANDS as readonly string[]).includes(c ?? '');

export async function main(argv: string[]): Promise<number> {
  const log = lineLogger();
  let cancel: SignalCancel | undefined;
  try {
    if (argv[0] === 'doctor') return await doctorCommand(argv.slice(1));
    if (argv[0] === 'bench') return await benchCommand(argv.slice(1), log); // its usage errors exit 2
    const args = parseArgv(argv);
    if (args.version || args.command === 'version') {
      process.stdout.write(`textclf ${packageVersion()}\n`);
      return 0;
    }
    if (args.command === 'help') return await help(args.helpTopic);
    if (args.help || !args.command) {
      process.stdout.write(helpText(isCommand(args.command) ? args.command : undefined) + '\n');
      return args.help ? 0 : 1; // asked for help: 0; no command: usage error
    }
    if (args.command === 'demo-data') return await demoData(args.raw);
    if (!isCommand(args.command))
      throw new FlagError(args.command, `unknown command '${args.command}'; ${commandList()}`);
    if (args.command === 'bench') return await benchCommand(withoutWord(argv, 'bench'), log); // flags first
    const cacheDir = defaultCacheDir('cli');
    if (args.command === 'predict' || args.command === 'evaluate') {
      checkOutputFlags(parseFlags(args.raw, 'cli', args.command), args.command); // before any work
      if (args.command === 'predict') return await predictCommand(args.raw, log, cacheDir, args.lists);
      return await evaluateCommand(args.raw, log, cacheDir);
    }
    if (args.command === 'provision') return await provisionCommand(args.raw, log);
    const flags = parseFlags(args.command === 'demo' ? await demoFlags(args.raw) : args.raw, 'cli');
    checkOutputFlags(flags, 'train');
    cancel = cancelOnSignals('cli', (m) => log.warning(m));
    const r = await runTraining(flags, { log, signal: cancel.signal, defaultCacheDir: cacheDir });
    return trainingExit(r, flags.min_accuracy, log);
  } catch (e) {
    const err = e as Error;
    log.error(err.message);
    if (err instanceof CancelledError || cancel?.signal.aborted) return 130;
    if (process.env.TEXTCLF_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  } finally {
    cancel?.dispose();
  }
}

/** argv without the first `word` (the command, when flags come before it). */
function withoutWord(argv: string[], word: string): string[] {
  const i = argv.indexOf(word);
  return [...argv.slice(0, i), ...argv.slice(i + 1)];
}

/** `textclf help [command]`. */
async function help(topic: string | undefined): Promise<number> {
  if (topic === 'doctor') return await main([topic, '--help']);
  if (topic !== undefined && !isCommand(topic)) {
    const usage = allCommands().includes(topic) ? usageOf(topic) : undefined;
    if (!usage) throw new FlagError(topic, `unknown command '${topic}'; ${commandList()}`);
    process.stdout.write(usage + '\n');
    return 0;
  }
  process.stdout.write(helpText(topic) + '\n');
  return 0;
}

/** `textclf demo`: the demo's recipe and data, any flag given overriding the recipe. */
async function demoFlags(raw: Record<string, string>): Promise<Record<string, string>> {
  const merged: Record<string, string> = { ...DEMO_CLI_FLAGS, ...raw };
  checkOutputDir(merged.output_dir);
  return { ...merged, ...(await prepareDemo(merged.output_dir, Number(merged.seed ?? 42))) };
}

/** Where the results are, and the exit code: 130 cancelled, 1 a failed Hub push or min_accuracy, else 0. */
function trainingExit(r: RunResult, minAccuracy: number | undefined, log: Logger): number {
  const t = r.metrics.test;
  process.stdout.write(
    [
      '',
      t
        ? `test ${formatMetrics(t).split('\n')[0]}`
        : r.metrics.run.cancelled
          ? 'test: not run (the run was cancelled)'
          : 'no test split',
      `report:     ${r.reportPath}`,
      `metrics:    ${join(r.outputDir, 'metrics.json')}`,
      `checkpoint: ${r.checkpointDir}`,
      ...(r.hub?.commit ? [`hub:        ${r.hub.commit.url}`] : []),
      '',
    ].join('\n'),
  );
  if (r.metrics.run.cancelled) return 130;
  if (r.hub?.error) {
    log.error(
      `push_to_hub: ${r.hub.error}. Training finished and every result is in ${r.outputDir}; push the model later with \`${r.hub.retry}\``,
    );
    return 1;
  }
  // min_accuracy on the CLI: the final accuracy (test, else the final model's validation epoch)
  const final = t ?? r.metrics.epochs.find((e) => e.epoch === r.metrics.finalEpoch)?.validation;
  if (minAccuracy !== undefined && (!final || final.accuracy < minAccuracy)) {
    log.error(
      final
        ? `min_accuracy: accuracy ${(final.accuracy * 100).toFixed(2)}% is below ${(minAccuracy * 100).toFixed(2)}%`
        : 'min_accuracy: this run has no test or validation split to check',
    );
    return 1;
  }
  return 0;
}

/** `textclf demo-data`: the demo's datastore and tiny untrained BERT, to try `train` or the action on. */
async function demoData(raw: Record<string, string>): Promise<number> {
  const unknown = Object.keys(raw).filter((k) => k !== 'output_dir' && k !== 'seed');
  if (unknown.length)
    throw new FlagError(unknown[0], `demo-data takes --output_dir and --seed only, not --${unknown[0]}`);
  const outputDir = raw.output_dir ?? DEMO_CLI_FLAGS.output_dir;
  checkOutputDir(outputDir);
  const seed = raw.seed === undefined ? 42 : Number(raw.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new FlagError('seed', `--seed: '${raw.seed}' is not valid; expected an integer >= 0`);
  const { datastore, model_name_or_path } = await prepareDemo(outputDir, seed);
  process.stdout.write(`datastore:          ${datastore}\nmodel_name_or_path: ${model_name_or_path}\n`);
  return 0;
}
