// The `textclf` command: parse flags from the one schema, run, print where the results are.
import { FlagError, parseFlags } from '../config/parse.js';
import { lineLogger } from '../util/logger.js';
import { CancelledError } from '../util/cancel.js';
import { checkOutputDir } from '../util/output-dir.js';
import { packageVersion } from '../util/package-version.js';
import { runTraining } from '../train/run.js';
import { checkOutputFlags } from '../train/output-dir.js';
import { allCommands, COMMANDS, commandList, helpText, parseArgv, usageOf } from './args.js';
import { benchCommand } from './bench.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand, formatMetrics } from './evaluate.js';
import { predictCommand } from './predict.js';
import { provisionCommand } from './provision.js';
import { DEMO_CLI_FLAGS, prepareDemo } from '../demo/prepare.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

const isCommand = (c: string | undefined): c is (typeof COMMANDS)[number] =>
  (COMMANDS as readonly string[]).includes(c ?? '');

export async function main(argv: string[]): Promise<number> {
  const log = lineLogger();
  const controller = new AbortController();
  try {
    if (argv[0] === 'doctor') return await doctorCommand(argv.slice(1));
    if (argv[0] === 'bench') return await benchCommand(argv.slice(1), log);
    const args = parseArgv(argv);
    if (args.version || args.command === 'version') {
      process.stdout.write(`textclf ${packageVersion()}\n`);
      return 0;
    }
    if (args.command === 'help') {
      const topic = args.helpTopic;
      if (topic === 'doctor' || topic === 'bench') return await main([topic, '--help']);
      if (topic !== undefined && !isCommand(topic)) {
        const usage = allCommands().includes(topic) ? usageOf(topic) : undefined;
        if (!usage) throw new FlagError(topic, `unknown command '${topic}'; ${commandList()}`);
        process.stdout.write(usage + '\n');
        return 0;
      }
      process.stdout.write(helpText(topic) + '\n');
      return 0;
    }
    if (args.help || !args.command) {
      process.stdout.write(helpText(isCommand(args.command) ? args.command : undefined) + '\n');
      return args.help ? 0 : 1; // asked for help: 0; no command: usage error
    }
    if (args.command === 'demo-data') return await demoData(args.raw);
    if (!isCommand(args.command))
      throw new FlagError(args.command, `unknown command '${args.command}'; ${commandList()}`);
    const cacheDir = process.env.XDG_CACHE_HOME
      ? join(process.env.XDG_CACHE_HOME, 'textclf')
      : join(homedir(), '.cache', 'textclf');
    if (args.command === 'predict' || args.command === 'evaluate') {
      checkOutputFlags(parseFlags(args.raw, 'cli', args.command), args.command); // before any work
      if (args.command === 'predict') return await predictCommand(args.raw, log, cacheDir, args.lists);
      return await evaluateCommand(args.raw, log, cacheDir);
    }
    if (args.command === 'provision') return await provisionCommand(args.raw, log);
    let raw = args.raw;
    if (args.command === 'demo') {
      const merged: Record<string, string> = { ...DEMO_CLI_FLAGS, ...raw };
      checkOutputDir(merged.output_dir);
      raw = { ...merged, ...(await prepareDemo(merged.output_dir, Number(merged.seed ?? 42))) };
    }
    const flags = parseFlags(raw, 'cli');
    checkOutputFlags(flags, 'train');
    const stop = (sig: string) => {
      if (controller.signal.aborted) process.exit(130);
      log.warning(
        `${sig}: stopping: a download or wait ends now, training after the current step with a checkpoint (press again to quit at once)`,
      );
      controller.abort();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    const r = await runTraining(flags, { log, signal: controller.signal, defaultCacheDir: cacheDir });
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
    if (flags.min_accuracy !== undefined && (!final || final.accuracy < flags.min_accuracy)) {
      log.error(
        final
          ? `min_accuracy: accuracy ${(final.accuracy * 100).toFixed(2)}% is below ${(flags.min_accuracy * 100).toFixed(2)}%`
          : 'min_accuracy: this run has no test or validation split to check',
      );
      return 1;
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    if (err instanceof CancelledError || controller.signal.aborted) {
      log.error(err.message);
      return 130;
    }
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
  checkOutputDir(outputDir);
  const seed = raw.seed === undefined ? 42 : Number(raw.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new FlagError('seed', `--seed: '${raw.seed}' is not valid; expected an integer >= 0`);
  const { datastore, model_name_or_path } = await prepareDemo(outputDir, seed);
  process.stdout.write(`datastore:          ${datastore}\nmodel_name_or_path: ${model_name_or_path}\n`);
  return 0;
}
