// `textclf evaluate`: a trained model's metrics on a labelled file; exit code 1 when min_accuracy fails.
import { parseFlags } from '../config/parse.js';
import type { EvalMetrics } from '../metrics/types.js';
import { runEvaluate } from '../train/evaluate-model.js';
import type { Logger } from '../util/logger.js';

export async function evaluateCommand(raw: Record<string, string>, log: Logger, cacheDir: string): Promise<number> {
  const flags = parseFlags(raw, 'cli', 'evaluate');
  const r = await runEvaluate(flags, { log, defaultCacheDir: cacheDir });
  process.stdout.write(`\n${formatMetrics(r.metrics)}\n${r.output ? `metrics: ${r.output}\n` : ''}`);
  if (r.gateFailure) {
    log.error(r.gateFailure);
    return 1;
  }
  return 0;
}

/** The headline numbers, then one line per class. */
export function formatMetrics(e: EvalMetrics): string {
  const ml = e.multiLabel;
  const head = ml
    ? `subset accuracy ${(e.accuracy * 100).toFixed(2)}%  F1 micro ${ml.microF1.toFixed(4)}  F1 macro ${e.f1.toFixed(4)}  Hamming loss ${ml.hammingLoss.toFixed(4)}  loss ${e.loss.toFixed(4)}  (${e.samples} rows, threshold ${ml.threshold})`
    : `accuracy ${(e.accuracy * 100).toFixed(2)}%  precision ${e.precision.toFixed(4)}  recall ${e.recall.toFixed(4)}  F1 ${e.f1.toFixed(4)}  loss ${e.loss.toFixed(4)}  (${e.samples} rows)`;
  const width = Math.max(5, ...e.perClass.map((c) => c.label.length));
  const rows = e.perClass.map(
    (c) =>
      `  ${c.label.padEnd(width)}  ${c.precision.toFixed(4)}  ${c.recall.toFixed(4)}  ${c.f1.toFixed(4)}  ${String(c.support).padStart(7)}`,
  );
  return [head, '', `  ${'label'.padEnd(width)}  precision recall F1     support`, ...rows].join('\n');
}
