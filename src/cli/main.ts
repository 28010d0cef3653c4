// The `textclf` command: parse flags from the one schema, run, print where the results are.
import { FlagError, parseFlags } from '../config/parse.js';
import { lineLogger } from '../util/logger.js';
import { runTraining } from '../train/run.js';
import { helpText, parseArgv } from './args.js';
import { evaluateCommand, formatMetrics } from './evaluate.js';
import { predictCommand } from './predict.js';
import { DEMO_CLI_FLAGS, prepareDemo } from '../demo/prepare.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

export async function main(argv: string[]): Promise<number> {
  const log = lineLogger();
  try {
    const args = parseArgv(argv);
    const scoring = args.command === 'predict' || args.command === 'evaluate';
    if (args.help || !args.command || args.command === 'help') {
      process.stdout.write(helpText(scoring ? (args.command as 'predict' | 'evaluate') : 'train') + '\n');
      return args.help ? 0 : 1; // asked for help: 0; no command (or bare `help`): usage error
    }
    if (args.command !== 'train' && args.command !== 'demo' && !scoring) {
      throw new FlagError(
        args.command,
        `unknown command '${args.command}'; use 'textclf train', 'textclf predict', 'textclf evaluate' or 'textclf demo'`,
      );
    }
    const cacheDir = process.env.XDG_CACHE_HOME
      ? join(process.env.XDG_CACHE_HOME, 'textclf')
      : join(homedir(), '.cache', 'textclf');
    if (args.command === 'predict') return await predictCommand(args.raw, log, cacheDir);
    if (args.command === 'evaluate') return await evaluateCommand(args.raw, log, cacheDir);
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
    const r = await runTraining(flags, { log, signal: controller.signal, defaultCacheDir: cacheDir });
    const t = r.metrics.test;
    process.stdout.write(
      [
        '',
        t ? `test ${formatMetrics(t).split('\n')[0]}` : 'no test split',
        `report:     ${r.reportPath}`,
        `metrics:    ${join(r.outputDir, 'metrics.json')}`,
        `checkpoint: ${r.checkpointDir}`,
        '',
      ].join('\n'),
    );
    if (r.metrics.run.cancelled) return 130;
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
    log.error(err.message);
    if (process.env.TEXTCLF_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
