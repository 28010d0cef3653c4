// `textclf predict`: score a file with a trained model; prints where the predictions are.
import { parseFlags } from '../config/parse.js';
import { runPredict } from '../train/predict.js';
import type { Logger } from '../util/logger.js';

export async function predictCommand(raw: Record<string, string>, log: Logger, cacheDir: string): Promise<number> {
  const flags = parseFlags(raw, 'cli', 'predict');
  const r = await runPredict(flags, { log, defaultCacheDir: cacheDir });
  const counts = Object.entries(r.counts)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
  process.stdout.write(`\n${r.rows} rows predicted (${counts})\npredictions: ${r.output}\n`);
  return 0;
}
