// Phase 1 of a run: everything before the first step. Output paths, resume state and history,
// datastore and split files, the model files (local or hub) and tokenizer, tokenized splits and
// labels, the task (problem type, class weights, label smoothing), the model from the registry with
// its weights, and the runner on its device. Only then is the output dir claimed (one run each: a
// previous run is moved aside, see output-dir.ts): a run that fails to prepare changes nothing.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TrainFlags } from '../config/schema.js';
import { Runner } from '../engine/runner.js';
import { probeTrainingStep } from '../engine/probe-step.js';
import { capabilitiesOfPrepared } from '../runtime/capabilities.js';
import { checkMixedPrecision, computeTypeOf } from '../runtime/precision.js';
import { prepareDevice, type PreparedDevice } from '../runtime/prepare.js';
import type { SequenceClassifier } from '../models/family.js';
import { resolveModel } from '../models/hub.js';
import { loadModel } from '../models/load.js';
import { readModelConfig } from '../models/registry.js';
import { problemTypeOf } from '../models/task.js';
import type { TaskInfo } from '../metrics/types.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { Logger } from '../util/logger.js';
import { numElements } from '../util/shape.js';
import { CheckpointError, loadResumeState, type TrainerState } from './checkpoint.js';
import { classWeightsFor } from './class-weights.js';
import { checkModelFits, describeShards, stepOptions } from './device-fit.js';
import { priorHistory, type History } from './history.js';
import { checkOutputFlags, claimOutputDir, planOutputDir, type OutputDirClaim } from './output-dir.js';
import type { EvalOptions } from './evaluate.js';
import { loadSplits, locateSplits, type LoadedData, type SplitFiles } from './load-data.js';
import { LAST, latestCheckpoint } from './latest-checkpoint.js';
import { PhaseClock } from './phases.js';
import type { Position } from './trainer.js';

export interface PrepareOptions {
  log: Logger;
  /** Cancels a datastore download (or a wait for another process's cache lock) at once. */
  signal?: AbortSignal;
  /** Default cache location when cache_dir is not set. */
  defaultCacheDir?: string;
  /** Tests only (no flag): mixed precision on the CPU device. */
  mixedPrecision?: { allowCpu?: boolean };
  /** How messages spell flags: the CLI's `--flag value` (default) or the action's `flag: value`. */
  flagStyle?: 'cli' | 'action';
}

export interface PreparedRun {
  flags: TrainFlags;
  /** The device this run trains on, and why (`--device`, `gpus`, preflight results). */
  device: PreparedDevice;
  startedAt: Date;
  outputDir: string;
  /** The output dir is this run's: settle() once it has a checkpoint, abandon() if it fails before one. */
  outputClaim: OutputDirClaim;
  checkpointRoot: string;
  splitFiles: SplitFiles;
  data: LoadedData;
  labels: string[];
  tokenizer?: TextTokenizer;
  model: SequenceClassifier;
  runner: Runner<SequenceClassifier>;
  numParameters: number;
  evalOptions: EvalOptions;
  /** Where training starts (after a resume: the checkpoint's position). */
  start: Position;
  resumedFrom?: { dir: string; meta: TrainerState };
  /** The resumed run's epochs and metrics stream (empty for a fresh run). */
  history: History;
  task: TaskInfo;
  /** Seconds per phase so far (fit and finish add theirs). */
  clock: PhaseClock;
}

export async function prepareRun(flags: TrainFlags, opts: PrepareOptions): Promise<PreparedRun> {
  const { log } = opts;
  const startedAt = new Date();
  const clock = new PhaseClock();
  checkOutputFlags(flags, 'train');
  // Before anything is read or written: a device that cannot run fails (or falls back) in seconds,
  // a GPU after one real training step of a tiny model in the run's precision (probe-step.ts).
  const compute = computeTypeOf(flags.precision);
  const device = await clock.time('setup', () =>
    prepareDevice({
      device: flags.device,
      gpus: flags.gpus,
      allowCpuFallback: flags.allow_cpu_fallback,
      log,
      precision: { compute, allowCpu: opts.mixedPrecision?.allowCpu },
      flagStyle: opts.flagStyle,
      sources: { probe: probeTrainingStep },
    }),
  );
  const caps = capabilitiesOfPrepared(device);
  checkMixedPrecision(device.device, compute, {
    allowCpu: opts.mixedPrecision?.allowCpu,
    webgpuShaderF16: caps.float16,
  });
  const runnerOptions = stepOptions(flags, device.device, caps, compute, {
    allowCpuMixedPrecision: opts.mixedPrecision?.allowCpu,
  });
  const outputDir = resolve(flags.output_dir);
  const checkpointRoot = join(outputDir, 'checkpoints');
  const resumeDir = flags.resume_from
    ? checkpointDirOf(resumeTarget(flags.resume_from, outputDir, log), log)
    : undefined;
  const resume = resumeDir ? loadResumeState(resumeDir) : undefined;
  const outputPlan = planOutputDir(outputDir, {
    overwrite: flags.overwrite_output_dir,
    resumeDir,
    resumeEpoch: resume?.meta.epoch,
    log,
  });
  const history: History = resume && resumeDir ? priorHistory(resumeDir, resume.meta) : { epochs: [], events: [] };
  const multiLabel = flags.problem_type === 'multi_label_classification';
  if (resumeDir) {
    const cfg = join(resumeDir, 'config.json');
    const was = problemTypeOf(readModelConfig(cfg).config, cfg);
    if (was !== flags.problem_type)
      throw new CheckpointError(
        `resume_from: ${resumeDir} was trained as ${was}; set --problem_type ${was} to continue it`,
      );
  }
  const modelSource = resumeDir ?? flags.model_name_or_path;
  const cacheDir = flags.cache_dir ?? opts.defaultCacheDir ?? join(outputDir, '.cache');
  const splitFiles = await clock.time('download', () => locateSplits(flags, log, opts.signal));
  const { files, tokenizer } = await log.group('Model', async () => {
    const files = await clock.time('download', () =>
      resolveModel(modelSource, {
        hubUrl: flags.hub_url,
        cacheDir: join(cacheDir, 'models'),
        requireTokenizer: !splitFiles.pretokenized,
        timeoutMs: flags.download_timeout * 1000,
        timeLimitMs: flags.download_time_limit * 1000,
        signal: opts.signal,
        log,
      }),
    );
    log.info(`model ${modelSource} (${files.source}) at ${files.dir}`);
    // Pre-tokenized data needs no tokenizer; one that exists still checks ids and goes into checkpoints.
    const tokenizer = files.tokenizerJson || files.vocabTxt ? await loadTokenizer(files.dir) : undefined;
    return { files, tokenizer };
  });
  // Before reading data: a model or batch over the device's buffer limit fails now.
  checkModelFits(files.config, resume?.meta.labels.length, runnerOptions);
  const data = await clock.time('tokenizing', () =>
    loadSplits(splitFiles, flags, tokenizer, log, resume?.meta.labels, join(cacheDir, 'tokens')),
  );
  const labels = data.labelMap.labels;
  if (labels.length < 2 && !multiLabel) {
    throw new Error(
      `train_file ${splitFiles.files.train!.join(', ')} has a single label (${labels[0]}); a classifier needs at least two`,
    );
  }
  if (labels.length < 1) throw new Error(`train_file ${splitFiles.files.train!.join(', ')} has no labels`);
  log.info(`labels: ${labels.join(', ')}${multiLabel ? ' (multi-label)' : ''}`);
  const task: TaskInfo = {
    problemType: flags.problem_type,
    ...classWeightsFor(flags.class_weights, labels, data.splits.train!, multiLabel),
    ...(flags.label_smoothing > 0 ? { labelSmoothing: flags.label_smoothing } : {}),
    ...(multiLabel ? { threshold: flags.threshold } : {}),
  };
  if (task.classWeights)
    log.info(
      `class weights (${task.classWeightsFrom}${multiLabel ? ', as BCE pos_weight' : ''}): ${labels.map((l, i) => `${l} ${+task.classWeights![i].toPrecision(6)}`).join(', ')}`,
    );

  const setupStart = performance.now();
  const loaded = await loadModel({
    modelNameOrPath: modelSource,
    labels,
    cacheDir,
    files,
    seed: flags.seed,
    dropout: flags.dropout,
    loss: { problemType: flags.problem_type, classWeights: task.classWeights, labelSmoothing: task.labelSmoothing },
  });
  const { model } = loaded;
  // A new task head is what fine-tuning expects (HF says so on every run); anything else is news.
  const onlyHead = [...loaded.report.missing, ...loaded.report.mismatched.map((m) => m.name)].every((n) =>
    model.keys.head.some((p) => n.startsWith(p)),
  );
  for (const w of loaded.report.warnings) {
    if (onlyHead && loaded.report.unexpected.length === 0) log.info(w);
    else log.warning(w);
  }
  const numParameters = model.params.reduce((a, p) => a + numElements(p.shape), 0);

  if (flags.gpus > 1) {
    log.warning(
      `gpus=${flags.gpus}: training uses one GPU; multi-GPU data parallelism is not implemented yet — use a sweep over the matrix to use several GPUs`,
    );
  }
  const runner = await Runner.create(model, { ...runnerOptions, params: loaded.weights });
  for (const line of describeShards(runner.layout, caps)) log.info(line);
  clock.add('setup', (performance.now() - setupStart) / 1000);
  let start: Position = { epoch: 0, stepInEpoch: 0 };
  let outputClaim: OutputDirClaim;
  try {
    if (resume) {
      runner.importState({
        params: loaded.weights,
        optimizer: resume.optimizer,
        step: resume.meta.step,
        scaler: resume.meta.scaler,
      });
      start = { epoch: resume.meta.epoch, stepInEpoch: resume.meta.stepInEpoch ?? 0 };
      const sc = resume.meta.scaler;
      log.notice(
        `resumed from ${resumeDir}: epoch ${start.epoch}, step ${resume.meta.step}${compute && sc ? `, loss scale ${sc.scale} (${sc.skipped} steps skipped so far)` : ''}`,
      );
    }
    // Everything is checked and loaded: from here on the output dir is this run's.
    outputClaim = claimOutputDir(outputPlan, log);
  } catch (e) {
    await runner.release();
    throw e;
  }
  return {
    flags,
    device,
    startedAt,
    outputDir,
    outputClaim,
    checkpointRoot,
    splitFiles,
    data,
    labels,
    tokenizer,
    model,
    runner,
    numParameters,
    evalOptions: {
      batchSize: flags.batch_size,
      maxLength: flags.max_length,
      padId: tokenizer?.padId ?? model.config.padTokenId,
      padding: flags.padding,
      problemType: flags.problem_type,
      threshold: flags.threshold,
    },
    start,
    resumedFrom: resume && resumeDir ? { dir: resumeDir, meta: resume.meta } : undefined,
    history,
    task,
    clock,
  };
}

/** `last`: the newest checkpoint under output_dir (latest-checkpoint.ts); anything else is a path. */
function resumeTarget(value: string, outputDir: string, log: Logger): string {
  if (value.trim() !== LAST) return resolve(value);
  const dir = latestCheckpoint(outputDir);
  log.info(`resume_from last: ${dir} (the checkpoint of ${outputDir} with the most training steps)`);
  return dir;
}

/** Lightning's resume_from_checkpoint names a file: a file inside a checkpoint dir means that dir. */
function checkpointDirOf(path: string, log: Logger): string {
  if (!existsSync(path) || statSync(path).isDirectory()) return path;
  log.notice(`resume_from ${path} is a file; resuming from its checkpoint directory ${dirname(path)}`);
  return dirname(path);
}
