// One training run from flags: data, model, runner, trainer, checkpoints, test, report. Both hosts
// (CLI and action) call this; they differ only in the Logger and how they present the results.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Flags } from '../config/parse.js';
import { readBertConfig } from '../models/bert/config.js';
import { BertModel } from '../models/bert/graph.js';
import { loadBertWeights } from '../models/bert/load.js';
import { resolveModel } from '../models/hub.js';
import { renderReport } from '../report/markdown.js';
import type { Logger } from '../util/logger.js';
import { writeTensorBoard } from '../report/tensorboard.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { loadResumeState, saveCheckpoint, CheckpointError } from './checkpoint.js';
import { evaluateSplit, type Prediction } from './evaluate.js';
import { EventStream, JsonlWriter } from './events.js';
import { loadSplits, locateSplits } from './load-data.js';
import type { EpochRecord, EvalMetrics, MetricsEvent, MetricsFile } from '../metrics/types.js';
import { Progress } from './progress.js';
import { Runner } from '../engine/runner.js';
import { prepareDevice } from '../runtime/prepare.js';
import { Trainer, type Position } from './trainer.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import { numElements } from '../util/shape.js';

export interface RunOptions {
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (e: MetricsEvent) => void;
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** Default hub-cache location when cache_dir is not set. */
  defaultCacheDir?: string;
  /** Extra run facts for the report (GPU names, commit). */
  runFacts?: Partial<MetricsFile['run']>;
}

export interface RunResult {
  metrics: MetricsFile;
  outputDir: string;
  /** The final (or, when cancelled, the interrupted) checkpoint. */
  checkpointDir: string;
  reportPath: string;
  /** Every file the run wrote that is worth uploading. */
  files: string[];
}

export async function runTraining(flags: Flags, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  const startedAt = new Date();
  const { device } = await prepareDevice({
    device: String(flags.device ?? 'auto'),
    gpus: Number(flags.gpus),
    allowCpuFallback: flags.allow_cpu_fallback === true,
    log,
  });
  const outputDir = resolve(String(flags.output_dir));
  const ckptRoot = join(outputDir, 'checkpoints');
  mkdirSync(ckptRoot, { recursive: true });

  const resumeDir = flags.resume_from ? resolve(String(flags.resume_from)) : undefined;
  const resume = resumeDir ? loadResumeState(resumeDir) : undefined;
  const modelSource = resumeDir ?? String(flags.model_name_or_path);
  const cacheDir = (flags.cache_dir as string | undefined) ?? opts.defaultCacheDir ?? join(outputDir, '.cache');
  const splitFiles = await locateSplits(flags, log);
  const modelFiles = await log.group('Model', () =>
    resolveModel(modelSource, {
      hubUrl: flags.hub_url as string | undefined,
      cacheDir: join(cacheDir, 'models'),
      requireTokenizer: !splitFiles.pretokenized,
    }),
  );
  log.info(`model ${modelSource} (${modelFiles.source}) at ${modelFiles.dir}`);
  // Pre-tokenized data needs no tokenizer; one that exists still checks ids and goes into checkpoints.
  const tok = modelFiles.tokenizerJson || modelFiles.vocabTxt ? await loadTokenizer(modelFiles.dir) : undefined;
  const data = await loadSplits(splitFiles, flags, tok, log, resume?.meta.labels, join(cacheDir, 'tokens'));
  const labels = data.labelMap.labels;
  if (labels.length < 2)
    throw new Error(
      `train_file ${splitFiles.files.train} has a single label (${labels[0]}); a classifier needs at least two`,
    );
  log.info(`labels: ${labels.join(', ')}`);

  const cfg = readBertConfig(modelFiles.config);
  const seed = Number(flags.seed);
  const model = new BertModel(cfg, labels.length, { dropout: flags.dropout as number | undefined, seed });
  const weights = loadBertWeights(modelFiles.weights, model.params, cfg, { seed, modelName: modelSource });
  for (const w of weights.warnings) log.warning(w);
  const numParameters = model.params.reduce((a, p) => a + numElements(p.shape), 0);

  const gpus = Number(flags.gpus);
  if (gpus > 1)
    log.warning(
      `gpus=${gpus}: training uses one GPU (cuda:0); multi-GPU data parallelism is not implemented yet — use a sweep over the matrix to use several GPUs`,
    );
  const stepsPerRun = Number(flags.steps_per_run);
  const accumulate = Number(flags.accumulate_grad_batches);
  const runner = await Runner.create(model, {
    optimizer: { kind: 'adamw', eps: Number(flags.adam_epsilon), weightDecay: Number(flags.weight_decay) },
    maxGradNorm: Number(flags.max_grad_norm),
    accumulate,
    loop: stepsPerRun > 1,
    device,
    threads: Number(flags.threads),
    params: weights.values,
  });
  try {
    let start: Position = { epoch: 0, stepInEpoch: 0 };
    if (resume) {
      runner.importState({ params: weights.values, optimizer: resume.optimizer, step: resume.meta.step });
      start = { epoch: resume.meta.epoch, stepInEpoch: resume.meta.stepInEpoch ?? 0 };
      log.notice(`resumed from ${resumeDir}: epoch ${start.epoch}, step ${resume.meta.step}`);
    }

    const metricsJsonl = join(outputDir, 'metrics.jsonl');
    const events = new EventStream(
      new JsonlWriter(metricsJsonl, !!resume),
      flags.log_file ? new JsonlWriter(resolve(String(flags.log_file)), !!resume) : undefined,
    );
    const allEvents: MetricsEvent[] = [];
    events.on((e) => allEvents.push(e));
    if (opts.onEvent) events.on(opts.onEvent);

    const padId = tok?.padId ?? Number(cfg.raw.pad_token_id ?? 0);
    const evalOpts = {
      batchSize: Number(flags.batch_size),
      maxLength: Number(flags.max_length),
      padId,
      padding: flags.padding as 'longest' | 'max_length',
    };
    const trainer = new Trainer(runner, data.splits.train!, {
      maxEpochs: Number(flags.max_epochs),
      batchSize: Number(flags.batch_size),
      accumulate,
      stepsPerRun,
      maxLength: Number(flags.max_length),
      padding: evalOpts.padding,
      padId,
      shuffle: Boolean(flags.shuffle),
      seed,
      learningRate: Number(flags.learning_rate),
      warmupSteps: Number(flags.warmup_steps),
      limitTrainBatches: Number(flags.limit_train_batches),
      valCheckInterval: Number(flags.val_check_interval),
    });
    if (accumulate > 1)
      log.info(
        `accumulate_grad_batches=${accumulate}: examples that do not fill a whole optimizer step at the end of an epoch are skipped (a different set each epoch when shuffling)`,
      );

    const epochs: EpochRecord[] = [];
    const checkpoints: MetricsFile['checkpoints'] = [];
    const policy = String(flags.save_checkpoints);
    let bestEpoch: number | undefined;
    let best: EvalMetrics | undefined;
    const recordedFlags = { ...flags, github_token: undefined }; // never persist the token
    const meta = (epoch: number, stepInEpoch = 0) => ({
      epoch,
      stepInEpoch,
      step: runner.globalStep,
      labels,
      flags: recordedFlags,
    });
    const progress = new Progress((line) => log.info(line), opts.progressSeconds ?? 10);
    const trainStart = Date.now();

    log.info(
      `training ${numParameters.toLocaleString('en-US')} parameters on ${runner.deviceName}: ${trainer.totalSteps} optimizer steps`,
    );
    const end = await trainer.fit(
      {
        events,
        signal: opts.signal,
        progress: (p) => progress.update({ ...p, maxEpochs: Number(flags.max_epochs) }),
        validate: async () =>
          data.splits.valid ? (await evaluateSplit(runner, data.splits.valid, labels, evalOpts)).metrics : undefined,
        epochEnd: async (epoch, trainLoss, validation, seconds) => {
          const dir = join(ckptRoot, `epoch-${epoch}`);
          const better =
            !best ||
            (validation &&
              (validation.accuracy > best.accuracy ||
                (validation.accuracy === best.accuracy && validation.loss < best.loss)));
          if (validation && better) {
            best = validation;
            bestEpoch = epoch;
          }
          const keep = policy === 'all' || (policy === 'best' ? better || !validation : true);
          if (keep) {
            await saveCheckpoint(dir, model, tok, runner.exportState(), meta(epoch), evalOpts.maxLength);
            checkpoints.push({ epoch, path: dir });
            if (policy !== 'all') pruneEpochCheckpoints(ckptRoot, dir, checkpoints);
          }
          epochs.push({
            epoch,
            step: runner.globalStep,
            trainLoss,
            validation,
            seconds,
            checkpoint: keep ? dir : undefined,
          });
          log.info(
            `epoch ${epoch}: train loss ${trainLoss.toFixed(4)}${validation ? `, validation loss ${validation.loss.toFixed(4)} accuracy ${(validation.accuracy * 100).toFixed(2)}% F1 ${validation.f1.toFixed(4)}` : ''} (${seconds.toFixed(1)} s)`,
          );
        },
      },
      start,
    );

    let checkpointDir: string;
    let test: EvalMetrics | undefined;
    let predictions: Prediction[] = [];
    if (end.cancelled) {
      checkpointDir = join(ckptRoot, 'interrupted');
      await saveCheckpoint(
        checkpointDir,
        model,
        tok,
        runner.exportState(),
        meta(end.epoch, end.stepInEpoch),
        evalOpts.maxLength,
      );
      checkpoints.push({ epoch: 'final', path: checkpointDir });
      log.warning(
        `cancelled at step ${runner.globalStep}: saved ${checkpointDir}; resume with --resume_from ${checkpointDir}`,
      );
    } else {
      checkpointDir = join(ckptRoot, 'final');
      await saveCheckpoint(checkpointDir, model, tok, runner.exportState(), meta(end.epoch), evalOpts.maxLength);
      checkpoints.push({ epoch: 'final', path: checkpointDir });
      if (data.splits.test) {
        const r = await log.group('Test', () =>
          evaluateSplit(runner, data.splits.test!, labels, evalOpts, !!flags.predictions_file),
        );
        test = r.metrics;
        predictions = r.predictions;
        events.emit({ type: 'test', step: runner.globalStep, metrics: test, time: Date.now() / 1000 });
        log.info(
          `test: accuracy ${(test.accuracy * 100).toFixed(2)}%, precision ${test.precision.toFixed(4)}, recall ${test.recall.toFixed(4)}, F1 ${test.f1.toFixed(4)}, loss ${test.loss.toFixed(4)}`,
        );
      }
    }

    const files = [join(outputDir, 'metrics.json'), metricsJsonl];
    if (flags.predictions_file && predictions.length) {
      const path = resolve(String(flags.predictions_file));
      writePredictions(path, predictions, labels);
      files.push(path);
    }
    const trainSeconds = (Date.now() - trainStart) / 1000;
    const metrics: MetricsFile = {
      version: 1,
      labels,
      run: {
        model: String(flags.model_name_or_path),
        datastore: splitFiles.datastore,
        flags: recordedFlags,
        device: runner.deviceName,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
        samplesPerSecond: trainSeconds > 0 ? end.samples / trainSeconds : 0,
        totalSteps: runner.globalStep,
        numParameters,
        commit: process.env.GITHUB_SHA,
        cancelled: end.cancelled || undefined,
        ...opts.runFacts,
      },
      epochs,
      bestEpoch,
      test,
      dataset: data.stats,
      checkpoints,
    };
    writeJsonAtomic(join(outputDir, 'metrics.json'), metrics);
    files.push(...writeTensorBoard(allEvents, join(outputDir, 'tensorboard')));
    const reportPath = join(outputDir, 'report.md');
    writeFileAtomic(reportPath, renderReport(metrics));
    files.push(reportPath);
    return { metrics, outputDir, checkpointDir, reportPath, files };
  } finally {
    // also when training fails or is refused: the sessions hold native memory
    await runner.release();
  }
}

function pruneEpochCheckpoints(root: string, keep: string, list: MetricsFile['checkpoints']): void {
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (/^epoch-\d+$/.test(name) && dir !== keep) rmSync(dir, { recursive: true, force: true });
  }
  for (let i = list.length - 1; i >= 0; i--) if (list[i].path !== keep && list[i].epoch !== 'final') list.splice(i, 1);
}

/** CSV: row, label, prediction, then one probability column per label (quoted when needed). */
function writePredictions(path: string, preds: Prediction[], labels: string[]): void {
  const q = csvField;
  const lines = [['row', 'label', 'prediction', ...labels.map((l) => `p_${l}`)].map(q).join(',')];
  for (const p of preds)
    lines.push(
      [
        String(p.row),
        q(labels[p.label]),
        q(labels[p.predicted]),
        ...Array.from(p.probabilities, (x) => x.toFixed(6)),
      ].join(','),
    );
  writeFileAtomic(path, lines.join('\n') + '\n');
}

export { CheckpointError };
