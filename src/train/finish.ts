// Phase 3 of a run: after the last step. The final checkpoint (the best epoch by monitor, or the
// last: test_on; when cancelled, the interrupted state), the test split and predictions file,
// metrics.json with the whole history, TensorBoard event files, and report.md unless the host
// renders the report itself (the action adds its own sections first).
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { batchAmount } from '../config/batch-amount.js';
import { readSafetensors } from '../models/safetensors.js';
import { loadResumeState, OPTIMIZER_FILE } from './checkpoint.js';
import type { EvalMetrics, MetricsFile, RunInfo } from '../metrics/types.js';
import { renderReport } from '../report/markdown.js';
import { cudaProviderRecord } from '../runtime/prepare.js';
import { writeTensorBoard } from '../report/tensorboard.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import type { Logger } from '../util/logger.js';
import { evaluateSplit, type Prediction } from './evaluate.js';
import { exportDtypes, pruneEpochCheckpoints, saveRunCheckpoint, trainerState, type FitResult } from './fit.js';
import type { PreparedRun } from './prepare.js';
import type { ScalerState } from '../engine/runner.js';
import { transferInfo } from './transfer-info.js';
import { hubReportParts, type HubOutcome, type HubPush } from './hub-push.js';

export interface FinishOptions {
  log: Logger;
  recordedFlags: Record<string, unknown>;
  /** Extra run facts for the record (GPU names, commit). */
  runFacts?: Partial<RunInfo>;
  /** Write report.md (default). The action passes false and renders it once with its sections. */
  report?: boolean;
  /** push_to_hub: pushes the final model and its card once metrics.json is written. */
  hub?: Pick<HubPush, 'finish'>;
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
  /** push_to_hub: the final push (its commit, or why it failed). */
  hub?: HubOutcome;
}

export async function finishRun(p: PreparedRun, fit: FitResult, opts: FinishOptions): Promise<RunResult> {
  const { log } = opts;
  const { flags, runner, data, labels, clock } = p;
  const { end } = fit;
  const trainedSteps = runner.globalStep; // loading the best epoch below moves the runner's step back
  const scaler = runner.scalerState(); // and its loss scaler
  const checkpoints = [...fit.checkpoints];
  const epochs = fit.epochs.map((e) => ({ ...e }));
  let checkpointDir: string;
  let test: EvalMetrics | undefined;
  let predictions: Prediction[] = [];
  let finalEpoch: number | undefined;
  if (end.cancelled) {
    checkpointDir = join(p.checkpointRoot, 'interrupted');
    await clock.time('checkpoints', () =>
      saveRunCheckpoint(p, checkpointDir, trainerState(p, opts.recordedFlags, end.epoch, end.stepInEpoch, fit.epochs)),
    );
    checkpoints.push({ epoch: 'final', path: checkpointDir });
    log.warning(
      `cancelled at step ${runner.globalStep}: saved ${checkpointDir}; resume with --resume_from ${checkpointDir}`,
    );
  } else {
    checkpointDir = join(p.checkpointRoot, 'final');
    // The final model gets every export asked for (transformers.js's q8/fp16 files); epochs fp32 only.
    finalEpoch = await clock.time('checkpoints', async () => {
      const epoch = await loadFinalModel(p, fit, log);
      await saveRunCheckpoint(
        p,
        checkpointDir,
        trainerState(p, opts.recordedFlags, epoch ?? end.epoch, 0, fit.epochs),
        exportDtypes(flags.export_dtypes),
      );
      return epoch;
    });
    checkpoints.push({ epoch: 'final', path: checkpointDir });
    // A finished run needs no interrupted state any more (it may be the one this run resumed).
    rmSync(join(p.checkpointRoot, 'interrupted'), { recursive: true, force: true });
    if (flags.save_checkpoints === 'last') {
      const last = fit.epochs[fit.epochs.length - 1]?.checkpoint;
      pruneEpochCheckpoints(p.checkpointRoot, new Set([checkpointDir, ...(last ? [last] : [])]), checkpoints, epochs);
    }
    if (data.splits.test) {
      const r = await log.group('Test', async () => {
        const r = await clock.time('evaluation', () =>
          evaluateSplit(
            runner,
            data.splits.test!,
            labels,
            p.evalOptions,
            !!flags.predictions_file,
            batchAmount(flags.limit_test_batches),
          ),
        );
        const t = r.metrics;
        log.info(
          `test${finalEpoch !== undefined ? ` (epoch ${finalEpoch})` : ''}: ${t.multiLabel ? `subset accuracy ${(t.accuracy * 100).toFixed(2)}%, F1 micro ${t.multiLabel.microF1.toFixed(4)} macro ${t.f1.toFixed(4)}, Hamming loss ${t.multiLabel.hammingLoss.toFixed(4)}` : `accuracy ${(t.accuracy * 100).toFixed(2)}%, precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)}, F1 ${t.f1.toFixed(4)}`}, loss ${t.loss.toFixed(4)}`,
        );
        return r;
      });
      test = r.metrics;
      predictions = r.predictions;
      fit.events.emit({ type: 'test', step: trainedSteps, metrics: test, time: Date.now() / 1000 });
    }
  }

  const files = [join(p.outputDir, 'metrics.json'), fit.metricsJsonl];
  if (flags.predictions_file && predictions.length) {
    const path = resolve(flags.predictions_file);
    writePredictions(path, predictions, labels, flags.label_separator);
    files.push(path);
  }
  const monitor = fit.monitor;
  const trainingSeconds = clock.seconds.training ?? fit.trainSeconds;
  const hasValidation = fit.epochs.some((e) => e.validation);
  const cudaProvider = cudaProviderRecord(p.device.facts);
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
      ...(cudaProvider ? { cudaProvider } : {}),
      startedAt: p.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      wallSeconds: (Date.now() - p.startedAt.getTime()) / 1000,
      // training samples per second of optimizer steps (validation and checkpoints excluded)
      samplesPerSecond: trainingSeconds > 0 ? end.samples / trainingSeconds : 0,
      ...mixedPrecisionFacts(flags.precision, scaler),
      totalSteps: trainedSteps,
      numParameters: p.numParameters,
      commit: process.env.GITHUB_SHA,
      cancelled: end.cancelled || undefined,
      transfers: transferInfo(runner.transferSummary),
      outputDir: p.outputDir,
      ...opts.runFacts,
      // the host's phases (the action's provisioning) next to this run's
      phases: { ...opts.runFacts?.phases, ...clock.seconds },
    },
    task: p.task,
    epochs,
    bestEpoch: fit.bestEpoch,
    ...(hasValidation
      ? { monitor: { name: flags.monitor, mode: monitor.mode, best: monitor.bestValue }, testOn: flags.test_on }
      : {}),
    finalEpoch,
    stopped: fit.stopped,
    resumedFrom: p.resumedFrom
      ? { checkpoint: p.resumedFrom.dir, epoch: p.resumedFrom.meta.epoch, step: p.resumedFrom.meta.step }
      : undefined,
    test,
    dataset: data.stats,
    ...(p.splitFiles.source && { dataSource: p.splitFiles.source }),
    checkpoints,
  };
  writeJsonAtomic(join(p.outputDir, 'metrics.json'), metrics);
  // One event file with the whole history (a resumed run's earlier steps included) replaces any older one.
  rmSync(join(p.outputDir, 'tensorboard'), { recursive: true, force: true });
  files.push(...writeTensorBoard(fit.allEvents, join(p.outputDir, 'tensorboard')));
  // Every local result is written before the push: a push that fails takes nothing away.
  const hub = await opts.hub?.finish({ dir: checkpointDir, metrics, cancelled: end.cancelled });
  const reportPath = join(p.outputDir, 'report.md');
  if (opts.report !== false) {
    const { links, notices } = hubReportParts(hub, p.outputDir);
    writeFileAtomic(reportPath, renderReport(metrics, { artifacts: links, notices }));
    files.push(reportPath);
  }
  return { metrics, outputDir: p.outputDir, checkpointDir, reportPath, files, hub };
}

/**
 * Puts the weights checkpoints/final is to hold into the runner: the best epoch's by monitor
 * (test_on best, with validation), else the last. Returns that epoch.
 */
async function loadFinalModel(p: PreparedRun, fit: FitResult, log: FinishOptions['log']): Promise<number | undefined> {
  const last = fit.epochs[fit.epochs.length - 1];
  const best = fit.epochs.find((e) => e.epoch === fit.bestEpoch);
  if (p.flags.test_on === 'last' || !best || !last || best.epoch === last.epoch || best.step === p.runner.globalStep)
    return last?.epoch;
  if (!best.checkpoint || !existsSync(join(best.checkpoint, OPTIMIZER_FILE))) {
    log.warning(
      `the best epoch (${best.epoch}) has no checkpoint on this machine any more; checkpoints/final and the test use the last epoch (${last.epoch})`,
    );
    return last.epoch;
  }
  const { optimizer, meta } = loadResumeState(best.checkpoint);
  const params = new Map(
    [...readSafetensors(join(best.checkpoint, 'model.safetensors')).tensors].map(([k, t]) => [
      k,
      t.data as Float32Array,
    ]),
  );
  p.runner.importState({ params, optimizer, step: meta.step, scaler: meta.scaler });
  log.info(
    `checkpoints/final and the test use epoch ${best.epoch}, the best by ${p.flags.monitor} (${fit.monitor.bestValue}); the last epoch was ${last.epoch} (test_on last to use it)`,
  );
  return best.epoch;
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

/** metrics.json's mixed-precision facts (none for a float32 run). */
function mixedPrecisionFacts(precision: string, scaler: ScalerState | undefined): Pick<RunInfo, 'mixedPrecision'> {
  if (!scaler || precision === '32') return {};
  return { mixedPrecision: { precision, skippedSteps: scaler.skipped, lossScale: scaler.scale } };
}
