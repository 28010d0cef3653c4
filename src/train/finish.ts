// Phase 3 of a run: after the last step. The final checkpoint (or, when cancelled, the interrupted
// one), the test split and predictions file, metrics.json, TensorBoard event files, and report.md
// unless the host renders the report itself (the action adds its own sections first).
import { join, resolve } from 'node:path';
import type { EvalMetrics, MetricsFile, RunInfo } from '../metrics/types.js';
import { renderReport } from '../report/markdown.js';
import { writeTensorBoard } from '../report/tensorboard.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import type { Logger } from '../util/logger.js';
import { evaluateSplit, type Prediction } from './evaluate.js';
import { saveRunCheckpoint, trainerState, type FitResult } from './fit.js';
import type { PreparedRun } from './prepare.js';

export interface FinishOptions {
  log: Logger;
  recordedFlags: Record<string, unknown>;
  /** Extra run facts for the record (GPU names, commit). */
  runFacts?: Partial<RunInfo>;
  /** Write report.md (default). The action passes false and renders it once with its sections. */
  report?: boolean;
}

export interface RunResult {
  metrics: MetricsFile;
  outputDir: string;
  /** The final (or, when cancelled, the interrupted) checkpoint. */
  checkpointDir: string;
  /** Where report.md is (or is to be written, when the host renders it). */
  reportPath: string;
  /** Every file the run wrote that is worth uploading (report.md only once it exists). */
  files: string[];
}

export async function finishRun(p: PreparedRun, fit: FitResult, opts: FinishOptions): Promise<RunResult> {
  const { log } = opts;
  const { flags, runner, data, labels } = p;
  const { end } = fit;
  const checkpoints = [...fit.checkpoints];
  let checkpointDir: string;
  let test: EvalMetrics | undefined;
  let predictions: Prediction[] = [];
  if (end.cancelled) {
    checkpointDir = join(p.checkpointRoot, 'interrupted');
    await saveRunCheckpoint(p, checkpointDir, trainerState(p, opts.recordedFlags, end.epoch, end.stepInEpoch));
    checkpoints.push({ epoch: 'final', path: checkpointDir });
    log.warning(
      `cancelled at step ${runner.globalStep}: saved ${checkpointDir}; resume with --resume_from ${checkpointDir}`,
    );
  } else {
    checkpointDir = join(p.checkpointRoot, 'final');
    await saveRunCheckpoint(p, checkpointDir, trainerState(p, opts.recordedFlags, end.epoch));
    checkpoints.push({ epoch: 'final', path: checkpointDir });
    if (data.splits.test) {
      const r = await log.group('Test', async () => {
        const r = await evaluateSplit(runner, data.splits.test!, labels, p.evalOptions, !!flags.predictions_file);
        const t = r.metrics;
        log.info(
          `test: accuracy ${(t.accuracy * 100).toFixed(2)}%, precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)}, F1 ${t.f1.toFixed(4)}, loss ${t.loss.toFixed(4)}`,
        );
        return r;
      });
      test = r.metrics;
      predictions = r.predictions;
      fit.events.emit({ type: 'test', step: runner.globalStep, metrics: test, time: Date.now() / 1000 });
    }
  }

  const files = [join(p.outputDir, 'metrics.json'), fit.metricsJsonl];
  if (flags.predictions_file && predictions.length) {
    const path = resolve(flags.predictions_file);
    writePredictions(path, predictions, labels);
    files.push(path);
  }
  const metrics: MetricsFile = {
    version: 1,
    labels,
    run: {
      model: flags.model_name_or_path,
      datastore: p.splitFiles.datastore,
      flags: opts.recordedFlags as RunInfo['flags'],
      device: runner.deviceName,
      deviceReason: p.device.reason,
      ...(p.device.facts.cuda?.smi.gpus?.length
        ? {
            gpu: p.device.facts.cuda.smi.gpus.map((g) => ({
              name: g.name,
              memoryMiB: g.memoryMiB,
              driver: g.driver,
            })),
          }
        : {}),
      startedAt: p.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wallSeconds: (Date.now() - p.startedAt.getTime()) / 1000,
      samplesPerSecond: fit.trainSeconds > 0 ? end.samples / fit.trainSeconds : 0,
      totalSteps: runner.globalStep,
      numParameters: p.numParameters,
      commit: process.env.GITHUB_SHA,
      cancelled: end.cancelled || undefined,
      ...opts.runFacts,
    },
    epochs: fit.epochs,
    bestEpoch: fit.bestEpoch,
    test,
    dataset: data.stats,
    checkpoints,
  };
  writeJsonAtomic(join(p.outputDir, 'metrics.json'), metrics);
  files.push(...writeTensorBoard(fit.allEvents, join(p.outputDir, 'tensorboard')));
  const reportPath = join(p.outputDir, 'report.md');
  if (opts.report !== false) {
    writeFileAtomic(reportPath, renderReport(metrics));
    files.push(reportPath);
  }
  return { metrics, outputDir: p.outputDir, checkpointDir, reportPath, files };
}

/** CSV: row, label, prediction, then one probability column per label (quoted when needed). */
function writePredictions(path: string, preds: Prediction[], labels: string[]): void {
  const q = csvField;
  const lines = [['row', 'label', 'prediction', ...labels.map((l) => `p_${l}`)].map(q).join(',')];
  for (const p of preds) {
    lines.push(
      [
        String(p.row),
        q(labels[p.label]),
        q(labels[p.predicted]),
        ...Array.from(p.probabilities, (x) => x.toFixed(6)),
      ].join(','),
    );
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}
