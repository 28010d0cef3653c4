// metrics.json: the run's record (metrics/types.ts's MetricsFile) from the prepared run, where the
// fit ended, the epochs and the checkpoints.
import type { EpochRecord, EvalMetrics, MetricsFile, RunInfo } from '../metrics/types.js';
import { cudaProviderRecord } from '../runtime/prepare.js';
import type { ScalerState } from '../engine/runner.js';
import type { FitEnd } from './callback.js';
import type { Checkpointing } from './callbacks/checkpointing.js';
import type { PreparedRun } from './prepare.js';
import { transferInfo } from './transfer-info.js';

export interface RunRecordParts {
  end: FitEnd;
  epochs: EpochRecord[];
  checkpointing: Checkpointing;
  test?: EvalMetrics;
  recordedFlags: Record<string, unknown>;
  /** Extra run facts from the host (GPU names, commit, its own phases). */
  runFacts?: Partial<RunInfo>;
}

export function runRecord(p: PreparedRun, r: RunRecordParts): MetricsFile {
  const { flags } = p;
  const c = r.checkpointing;
  const hasValidation = r.epochs.some((e) => e.validation);
  return {
    version: 1,
    labels: p.labels,
    run: runInfo(p, r),
    task: p.task,
    epochs: r.epochs,
    bestEpoch: c.monitor.bestEpoch,
    ...(hasValidation ? { monitor: c.monitorRecord, testOn: flags.test_on } : {}),
    finalEpoch: c.finalEpoch,
    stopped: r.end.stopped,
    resumedFrom: p.resumedFrom
      ? { checkpoint: p.resumedFrom.dir, epoch: p.resumedFrom.meta.epoch, step: p.resumedFrom.meta.step }
      : undefined,
    test: r.test,
    dataset: p.data.stats,
    ...(p.splitFiles.source && { dataSource: p.splitFiles.source }),
    checkpoints: c.checkpoints,
  };
}

function runInfo(p: PreparedRun, r: RunRecordParts): RunInfo {
  const { flags, runner, clock } = p;
  const trainingSeconds = clock.seconds.training ?? 0;
  const cudaProvider = cudaProviderRecord(p.device.facts);
  const gpus = p.device.facts.cuda?.smi.gpus;
  return {
    model: flags.model_name_or_path,
    datastore: p.splitFiles.datastore,
    flags: r.recordedFlags as RunInfo['flags'],
    device: runner.deviceName,
    deviceReason: p.device.reason,
    ...(gpus?.length ? { gpu: gpus.map((g) => ({ name: g.name, memoryMiB: g.memoryMiB, driver: g.driver })) } : {}),
    ...(cudaProvider ? { cudaProvider } : {}),
    startedAt: p.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    wallSeconds: (Date.now() - p.startedAt.getTime()) / 1000,
    // training samples per second of optimizer steps (validation and checkpoints excluded)
    samplesPerSecond: trainingSeconds > 0 ? r.end.samples / trainingSeconds : 0,
    ...mixedPrecisionFacts(flags.precision, r.end.scaler),
    totalSteps: r.end.trainedSteps,
    numParameters: p.numParameters,
    commit: process.env.GITHUB_SHA,
    cancelled: r.end.cancelled || undefined,
    transfers: transferInfo(runner.transferSummary),
    outputDir: p.outputDir,
    ...r.runFacts,
    // the host's phases (the action's provisioning) next to this run's
    phases: { ...r.runFacts?.phases, ...clock.seconds },
  };
}

/** metrics.json's mixed-precision facts (none for a float32 run). */
function mixedPrecisionFacts(precision: string, scaler: ScalerState | undefined): Pick<RunInfo, 'mixedPrecision'> {
  if (!scaler || precision === '32') return {};
  return { mixedPrecision: { precision, skippedSteps: scaler.skipped, lossScale: scaler.scale } };
}
