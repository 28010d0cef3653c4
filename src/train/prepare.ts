// Phase 1 of a run: everything before the first step. The device (decided with a training-step
// probe), output paths, resume state and history, datastore and split files, the model files (local or hub) and tokenizer, tokenized splits and
// labels, the task (problem type, class weights, label smoothing), the model from the registry with
// its weights, and the runner on its device. Only then is the output dir claimed (one run each: a
// previous run is moved aside, see output-dir.ts): a run that fails to prepare changes nothing.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TrainFlags } from '../config/schema.js';
import { Runner, type RunnerOptions } from '../engine/runner.js';
import { probeTrainingStep } from '../engine/probe-step.js';
import { capabilitiesOfPrepared, type DeviceCaps } from '../runtime/capabilities.js';
import { checkMixedPrecision, computeTypeOf, type HalfType } from '../runtime/precision.js';
import { prepareDevice, type PreparedDevice } from '../runtime/prepare.js';
import type { SequenceClassifier } from '../models/family.js';
import { resolveModel, type ModelFiles } from '../models/hub.js';
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
import {
  checkOutputFlags,
  claimOutputDir,
  planOutputDir,
  type OutputDirClaim,
  type OutputDirPlan,
} from './output-dir.js';
import type { EvalOptions } from './evaluate.js';
import { loadSplits, locateSplits, type LoadedData, type SplitFiles } from './load-data.js';
import { LAST, latestCheckpoint } from './latest-checkpoint.js';
import { PhaseClock } from './phases.js';
import type { Position } from './trainer.js';

export interface PrepareOptions {
  log: Logger;
  /** Cancels a datastore download (or a wait for another process's cache lock) at once. */
  signal?: AbortSignal;
  /** Default cache location when cache_dir is not set: the host's (util/cache-dir.ts); else <output_dir>/.cache. */
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
  const startedAt = new Date();
  const clock = new PhaseClock();
  checkOutputFlags(flags, 'train');
  const device = await decideDevice(flags, opts, clock);
  const out = planOutputs(flags, opts.log);
  const cacheDir = flags.cache_dir ?? opts.defaultCacheDir ?? join(out.outputDir, '.cache');
  const splitFiles = await clock.time('download', () => locateSplits(flags, opts.log, opts.signal));
  const modelSource = out.resumeDir ?? flags.model_name_or_path;
  const { files, tokenizer } = await modelFiles(flags, modelSource, splitFiles, cacheDir, opts, clock);
  // Before reading data: a model or batch over the device's buffer limit fails now.
  checkModelFits(files.config, out.resume?.meta.labels.length, device.runnerOptions);
  const data = await clock.time('tokenizing', () =>
    loadSplits(splitFiles, flags, tokenizer, opts.log, out.resume?.meta.labels, join(cacheDir, 'tokens')),
  );
  const task = taskOf(flags, data, splitFiles, opts.log);
  const setupStart = performance.now();
  const loaded = await loadRunModel(
    flags,
    modelSource,
    { labels: data.labelMap.labels, cacheDir, files, task },
    opts.log,
  );
  const runner = await Runner.create(loaded.model, { ...device.runnerOptions, params: loaded.weights });
  for (const line of describeShards(runner.layout, device.caps)) opts.log.info(line);
  clock.add('setup', (performance.now() - setupStart) / 1000);
  const { start, outputClaim } = await startRun(runner, loaded.weights, out, device, opts.log);
  return {
    flags,
    device: device.prepared,
    startedAt,
    outputDir: out.outputDir,
    outputClaim,
    checkpointRoot: join(out.outputDir, 'checkpoints'),
    splitFiles,
    data,
    labels: data.labelMap.labels,
    tokenizer,
    model: loaded.model,
    runner,
    numParameters: loaded.model.params.reduce((a, p) => a + numElements(p.shape), 0),
    evalOptions: evalOptionsOf(flags, tokenizer?.padId ?? loaded.model.config.padTokenId),
    start,
    resumedFrom: out.resume && out.resumeDir ? { dir: out.resumeDir, meta: out.resume.meta } : undefined,
    history: out.history,
    task,
    clock,
  };
}

interface RunDevice {
  prepared: PreparedDevice;
  caps: DeviceCaps;
  compute: HalfType | undefined;
  runnerOptions: Omit<RunnerOptions, 'params'>;
}

/**
 * Before anything is read or written: a device that cannot run fails (or falls back) in seconds,
 * a GPU after one real training step of a tiny model in the run's precision (probe-step.ts).
 */
async function decideDevice(flags: TrainFlags, opts: PrepareOptions, clock: PhaseClock): Promise<RunDevice> {
  const compute = computeTypeOf(flags.precision);
  const allowCpu = opts.mixedPrecision?.allowCpu;
  const prepared = await clock.time('setup', () =>
    prepareDevice({
      device: flags.device,
      gpus: flags.gpus,
      allowCpuFallback: flags.allow_cpu_fallback,
      log: opts.log,
      precision: { compute, allowCpu },
      flagStyle: opts.flagStyle,
      sources: { probe: probeTrainingStep },
    }),
  );
  const caps = capabilitiesOfPrepared(prepared);
  checkMixedPrecision(prepared.device, compute, { allowCpu, webgpuShaderF16: caps.float16 });
  const runnerOptions = stepOptions(flags, prepared.device, caps, compute, { allowCpuMixedPrecision: allowCpu });
  if (flags.gpus > 1)
    opts.log.warning(
      `gpus=${flags.gpus}: training uses one GPU; multi-GPU data parallelism is not implemented yet — use a sweep over the matrix to use several GPUs`,
    );
  return { prepared, caps, compute, runnerOptions };
}

interface OutputPlan {
  outputDir: string;
  resumeDir?: string;
  resume?: ReturnType<typeof loadResumeState>;
  plan: OutputDirPlan;
  history: History;
}

/** output_dir and resume_from, checked (nothing is written yet): what claiming the dir will do, the resumed history. */
function planOutputs(flags: TrainFlags, log: Logger): OutputPlan {
  const outputDir = resolve(flags.output_dir);
  const resumeDir = flags.resume_from
    ? checkpointDirOf(resumeTarget(flags.resume_from, outputDir, log), log)
    : undefined;
  const resume = resumeDir ? loadResumeState(resumeDir) : undefined;
  const plan = planOutputDir(outputDir, {
    overwrite: flags.overwrite_output_dir,
    resumeDir,
    resumeEpoch: resume?.meta.epoch,
    log,
  });
  const history: History = resume && resumeDir ? priorHistory(resumeDir, resume.meta) : { epochs: [], events: [] };
  if (resumeDir) {
    const cfg = join(resumeDir, 'config.json');
    const was = problemTypeOf(readModelConfig(cfg).config, cfg);
    if (was !== flags.problem_type)
      throw new CheckpointError(
        `resume_from: ${resumeDir} was trained as ${was}; set --problem_type ${was} to continue it`,
      );
  }
  return { outputDir, resumeDir, resume, plan, history };
}

/** The model's files (local, or downloaded from the hub into the cache) and its tokenizer. */
function modelFiles(
  flags: TrainFlags,
  source: string,
  splitFiles: SplitFiles,
  cacheDir: string,
  opts: PrepareOptions,
  clock: PhaseClock,
): Promise<{ files: ModelFiles; tokenizer?: TextTokenizer }> {
  const { log } = opts;
  return log.group('Model', async () => {
    const files = await clock.time('download', () =>
      resolveModel(source, {
        hubUrl: flags.hub_url,
        cacheDir: join(cacheDir, 'models'),
        requireTokenizer: !splitFiles.pretokenized,
        timeoutMs: flags.download_timeout * 1000,
        timeLimitMs: flags.download_time_limit * 1000,
        signal: opts.signal,
        log,
      }),
    );
    log.info(`model ${source} (${files.source}) at ${files.dir}`);
    // Pre-tokenized data needs no tokenizer; one that exists still checks ids and goes into checkpoints.
    const tokenizer = files.tokenizerJson || files.vocabTxt ? await loadTokenizer(files.dir) : undefined;
    return { files, tokenizer };
  });
}

/** The labels checked and the task: problem type, class weights, label smoothing, threshold. */
function taskOf(flags: TrainFlags, data: LoadedData, splitFiles: SplitFiles, log: Logger): TaskInfo {
  const labels = data.labelMap.labels;
  const multiLabel = flags.problem_type === 'multi_label_classification';
  const train = splitFiles.files.train!.join(', ');
  if (labels.length < 2 && !multiLabel)
    throw new Error(`train_file ${train} has a single label (${labels[0]}); a classifier needs at least two`);
  if (labels.length < 1) throw new Error(`train_file ${train} has no labels`);
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
  return task;
}

/** The model from the registry with its weights; HF's load report as information or warnings. */
async function loadRunModel(
  flags: TrainFlags,
  source: string,
  o: { labels: string[]; cacheDir: string; files: ModelFiles; task: TaskInfo },
  log: Logger,
): Promise<{ model: SequenceClassifier; weights: Map<string, Float32Array> }> {
  const { task } = o;
  const loaded = await loadModel({
    modelNameOrPath: source,
    labels: o.labels,
    cacheDir: o.cacheDir,
    files: o.files,
    seed: flags.seed,
    dropout: flags.dropout,
    loss: { problemType: flags.problem_type, classWeights: task.classWeights, labelSmoothing: task.labelSmoothing },
  });
  const { model, report } = loaded;
  // A new task head is what fine-tuning expects (HF says so on every run); anything else is news.
  const onlyHead = [...report.missing, ...report.mismatched.map((m) => m.name)].every((n) =>
    model.keys.head.some((p) => n.startsWith(p)),
  );
  for (const w of report.warnings) {
    if (onlyHead && report.unexpected.length === 0) log.info(w);
    else log.warning(w);
  }
  return { model, weights: loaded.weights };
}

/** A resume's optimizer state into the runner; then, everything checked and loaded, the output dir is this run's. */
async function startRun(
  runner: Runner<SequenceClassifier>,
  weights: Map<string, Float32Array>,
  out: OutputPlan,
  device: RunDevice,
  log: Logger,
): Promise<{ start: Position; outputClaim: OutputDirClaim }> {
  try {
    let start: Position = { epoch: 0, stepInEpoch: 0 };
    const resume = out.resume;
    if (resume) {
      const sc = resume.meta.scaler;
      runner.importState({ params: weights, optimizer: resume.optimizer, step: resume.meta.step, scaler: sc });
      start = { epoch: resume.meta.epoch, stepInEpoch: resume.meta.stepInEpoch ?? 0 };
      log.notice(
        `resumed from ${out.resumeDir}: epoch ${start.epoch}, step ${resume.meta.step}${device.compute && sc ? `, loss scale ${sc.scale} (${sc.skipped} steps skipped so far)` : ''}`,
      );
    }
    return { start, outputClaim: claimOutputDir(out.plan, log) };
  } catch (e) {
    await runner.release();
    throw e;
  }
}

function evalOptionsOf(flags: TrainFlags, padId: number): EvalOptions {
  return {
    batchSize: flags.batch_size,
    maxLength: flags.max_length,
    padId,
    padding: flags.padding,
    problemType: flags.problem_type,
    threshold: flags.threshold,
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
