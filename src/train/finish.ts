// Phase 3 of a run: after the last step (the final or interrupted checkpoint is Checkpointing's,
// written when the fit ended). The test split on the final model and the predictions file, then
// metrics.json with the whole history, then the callbacks' onRunEnd (TensorBoard, the Hub push,
// report.md, the host's own) complete the result.
import { join, resolve } from 'node:path';
import { batchAmount } from '../config/batch-amount.js';
import type { EvalMetrics, MetricsFile, RunInfo } from '../metrics/types.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import type { Logger } from '../util/logger.js';
import type { FitEnd } from './callback.js';
import type { Checkpointing } from './callbacks/index.js';
import { evaluateSplit, type Prediction } from './evaluate.js';
import type { PreparedRun } from './prepare.js';
import { runRecord } from './run-record.js';
import type { RunResult } from './run-result.js';
import type { Trainer } from './trainer.js';

export type { RunResult } from './run-result.js';

export interface FinishOptions {
  log: Logger;
  recordedFlags: Record<string, unknown>;
  /** Extra run facts for the record (GPU names, commit). */
  runFacts?: Partial<RunInfo>;
}

export async function finishRun(
  p: PreparedRun,
  fit: { trainer: Trainer; checkpointing: Checkpointing; end: FitEnd },
  opts: FinishOptions,
): Promise<RunResult> {
  const { flags, labels } = p;
  const { end, checkpointing } = fit;
  const tested = end.cancelled ? undefined : await testSplit(p, fit, opts.log);
  const files = [join(p.outputDir, 'metrics.json')];
  if (flags.predictions_file && tested?.predictions.length) {
    const path = resolve(flags.predictions_file);
    writePredictions(path, tested.predictions, labels, flags.label_separator);
    files.push(path);
  }
  const metrics: MetricsFile = runRecord(p, {
    end,
    epochs: fit.trainer.epochs,
    checkpointing,
    test: tested?.metrics,
    recordedFlags: opts.recordedFlags,
    runFacts: opts.runFacts,
  });
  writeJsonAtomic(join(p.outputDir, 'metrics.json'), metrics);
  const result: RunResult = {
    metrics,
    outputDir: p.outputDir,
    checkpointDir: checkpointing.dir!,
    reportPath: join(p.outputDir, 'report.md'),
    files,
  };
  await fit.trainer.runEnd(result);
  return result;
}

/** The test split on the final model (the predictions only when a file wants them). */
async function testSplit(
  p: PreparedRun,
  fit: { trainer: Trainer; checkpointing: Checkpointing; end: FitEnd },
  log: Logger,
): Promise<{ metrics: EvalMetrics; predictions: Prediction[] } | undefined> {
  const test = p.data.splits.test;
  if (!test) return undefined;
  const finalEpoch = fit.checkpointing.finalEpoch;
  const r = await log.group('Test', async () => {
    const r = await p.clock.time('evaluation', () =>
      evaluateSplit(
        p.runner,
        test,
        p.labels,
        p.evalOptions,
        !!p.flags.predictions_file,
        batchAmount(p.flags.limit_test_batches),
      ),
    );
    log.info(`test${finalEpoch !== undefined ? ` (epoch ${finalEpoch})` : ''}: ${describeTest(r.metrics)}`);
    return r;
  });
  await fit.trainer.tested(r.metrics, fit.end.trainedSteps);
  return r;
}

function describeTest(t: EvalMetrics): string {
  const scores = t.multiLabel
    ? `subset accuracy ${(t.accuracy * 100).toFixed(2)}%, F1 micro ${t.multiLabel.microF1.toFixed(4)} macro ${t.f1.toFixed(4)}, Hamming loss ${t.multiLabel.hammingLoss.toFixed(4)}`
    : `accuracy ${(t.accuracy * 100).toFixed(2)}%, precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)}, F1 ${t.f1.toFixed(4)}`;
  return `${scores}, loss ${t.loss.toFixed(4)}`;
}

/** Predictions as CSV: row, label (the given one), predicted_label (multi-label: the labels joined), then one probability per label. */
function writePredictions(path: string, preds: Prediction[], labels: string[], separator: string): void {
  const q = csvField;
  const join = (ids: number[] | undefined) => (ids ?? []).map((i) => labels[i]).join(separator);
  const lines = [['row', 'label', 'predicted_label', ...labels.map((l) => `p_${l}`)].map(q).join(',')];
  for (const p of preds) {
    lines.push(
      [
        String(p.row),
        q(p.labels ? join(p.labels) : labels[p.label]),
        q(p.predictedLabels ? join(p.predictedLabels) : labels[p.predicted]),
        ...Array.from(p.probabilities, (x) => x.toFixed(6)),
      ].join(','),
    );
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}
