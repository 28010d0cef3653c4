// Phase 1 of a run: everything before the first step. Output dir, resume state, datastore and
// split files, the model files (local or hub) and tokenizer, tokenized splits and labels, the model
// from the registry with its weights, and the runner on its device.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainFlags } from '../config/schema.js';
import { Runner } from '../engine/runner.js';
import type { SequenceClassifier } from '../models/family.js';
import { resolveModel } from '../models/hub.js';
import { loadModel } from '../models/load.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { Logger } from '../util/logger.js';
import { numElements } from '../util/shape.js';
import { loadResumeState, type TrainerState } from './checkpoint.js';
import type { EvalOptions } from './evaluate.js';
import { loadSplits, locateSplits, type LoadedData, type SplitFiles } from './load-data.js';
import type { Position } from './trainer.js';

export interface PrepareOptions {
  log: Logger;
  /** Default cache location when cache_dir is not set. */
  defaultCacheDir?: string;
}

export interface PreparedRun {
  flags: TrainFlags;
  startedAt: Date;
  outputDir: string;
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
}

export async function prepareRun(flags: TrainFlags, opts: PrepareOptions): Promise<PreparedRun> {
  const { log } = opts;
  const startedAt = new Date();
  const outputDir = resolve(flags.output_dir);
  const checkpointRoot = join(outputDir, 'checkpoints');
  mkdirSync(checkpointRoot, { recursive: true });

  const resumeDir = flags.resume_from ? resolve(flags.resume_from) : undefined;
  const resume = resumeDir ? loadResumeState(resumeDir) : undefined;
  const modelSource = resumeDir ?? flags.model_name_or_path;
  const cacheDir = flags.cache_dir ?? opts.defaultCacheDir ?? join(outputDir, '.cache');
  const splitFiles = await locateSplits(flags, log);
  const { files, tokenizer } = await log.group('Model', async () => {
    const files = await resolveModel(modelSource, {
      hubUrl: flags.hub_url,
      cacheDir: join(cacheDir, 'models'),
      requireTokenizer: !splitFiles.pretokenized,
    });
    log.info(`model ${modelSource} (${files.source}) at ${files.dir}`);
    // Pre-tokenized data needs no tokenizer; one that exists still checks ids and goes into checkpoints.
    const tokenizer = files.tokenizerJson || files.vocabTxt ? await loadTokenizer(files.dir) : undefined;
    return { files, tokenizer };
  });
  const data = await loadSplits(splitFiles, flags, tokenizer, log, resume?.meta.labels, join(cacheDir, 'tokens'));
  const labels = data.labelMap.labels;
  if (labels.length < 2) {
    throw new Error(
      `train_file ${splitFiles.files.train} has a single label (${labels[0]}); a classifier needs at least two`,
    );
  }
  log.info(`labels: ${labels.join(', ')}`);

  const loaded = await loadModel({
    modelNameOrPath: modelSource,
    labels,
    cacheDir,
    files,
    seed: flags.seed,
    dropout: flags.dropout,
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
  const runner = await Runner.create(model, {
    optimizer: { kind: 'adamw', eps: flags.adam_epsilon, weightDecay: flags.weight_decay },
    maxGradNorm: flags.max_grad_norm,
    accumulate: flags.accumulate_grad_batches,
    loop: flags.steps_per_run !== 1,
    device: deviceFor(flags),
    threads: flags.threads,
    params: loaded.weights,
  });
  let start: Position = { epoch: 0, stepInEpoch: 0 };
  try {
    if (resume) {
      runner.importState({ params: loaded.weights, optimizer: resume.optimizer, step: resume.meta.step });
      start = { epoch: resume.meta.epoch, stepInEpoch: resume.meta.stepInEpoch ?? 0 };
      log.notice(`resumed from ${resumeDir}: epoch ${start.epoch}, step ${resume.meta.step}`);
    }
  } catch (e) {
    await runner.release();
    throw e;
  }
  return {
    flags,
    startedAt,
    outputDir,
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
    },
    start,
    resumedFrom: resume && resumeDir ? { dir: resumeDir, meta: resume.meta } : undefined,
  };
}

/** `device` as given, else train.py's meaning of gpus (> 0: the first CUDA GPU). */
function deviceFor(flags: TrainFlags): string {
  if (flags.device !== 'auto') return flags.device;
  return flags.gpus > 0 ? 'cuda:0' : 'cpu';
}
