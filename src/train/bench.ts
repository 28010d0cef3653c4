// `textclf bench`: training speed and peak memory of a model of a given shape on random tokens, on
// a device — the same graph, runner and feeds a training run uses, without data files, so a GPU
// machine with only Node and the bundle can measure it.
import type { Batch } from '../data/types.js';
import { Runner } from '../engine/runner.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { TransferTotals } from '../engine/transfers.js';
import { familyFor } from '../models/registry.js';
import type { ModelShape } from '../models/family.js';
import { TaskModel } from '../models/task.js';
import { initWeights } from '../models/weights.js';
import { capabilitiesOfPrepared } from '../runtime/capabilities.js';
import { describeShards } from './device-fit.js';
import { checkMixedPrecision, computeTypeOf, type PrecisionFlag } from '../runtime/precision.js';
import { prepareDevice } from '../runtime/prepare.js';
import type { Logger } from '../util/logger.js';
import { mulberry32 } from '../util/random.js';
import { numElements } from '../util/shape.js';

export interface BenchOptions extends Omit<ModelShape, 'maxLength'> {
  modelType: string;
  /** auto | cpu | webgpu | cuda | cuda:N; auto = the best device this machine has. */
  device: string;
  seq: number;
  batch: number;
  /** Timed optimizer steps (rounded up to whole runs of steps_per_run). */
  steps: number;
  /** Untimed steps first (session warm-up, arena growth). */
  warmup: number;
  stepsPerRun: number;
  /** CPU threads for ONNX Runtime (0 = all cores). */
  threads: number;
  seed: number;
  /** --precision: 32 (default), 16-mixed or bf16-mixed. */
  precision?: PrecisionFlag;
  /** Tests only: mixed precision on the CPU device. */
  allowCpuMixedPrecision?: boolean;
  log: Logger;
}

export interface BenchResult {
  modelType: string;
  device: string;
  deviceReason: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
  seq: number;
  batch: number;
  parameters: number;
  precision: PrecisionFlag;
  /** Mixed precision: timed steps skipped by loss scaling (they still cost a full step), and the final scale. */
  skippedSteps?: number;
  lossScale?: number;
  stepsPerRun: number;
  steps: number;
  /** Creating the session (graph build and ORT optimisation). */
  sessionSeconds: number;
  msPerStep: number;
  samplesPerSecond: number;
  /** Peak resident memory of this process (host RAM; device memory is not included). */
  peakRssMiB: number;
  /** Where the training state lived between runs: on the device (WebGPU, resident) or in host memory. */
  state: 'host' | 'device';
  /** Bytes of one copy of the training state (parameters and AdamW moments). */
  stateBytes: number;
  /** Copies vs compute over the timed ORT runs, per run: bytes through host memory, ms outside/inside session.run. */
  perRun: { runs: number; uploadBytes: number; downloadBytes: number; hostMs: number; runMs: number };
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const { model, config, runner, reason, sessionSeconds } = await benchRunner(o);
  try {
    const K = o.stepsPerRun;
    const feeds = model.feeds(randomBatch(K * o.batch, o.seq, config.vocabSize, config.padTokenId, o.seed), true);
    const timed = await timeSteps(runner, feeds, K, o);
    const { seconds, steps, transfers: t } = timed;
    return {
      modelType: o.modelType,
      device: runner.deviceName,
      deviceReason: reason,
      layers: o.layers,
      hidden: o.hidden,
      heads: o.heads,
      intermediate: o.intermediate,
      vocab: o.vocab,
      seq: o.seq,
      batch: o.batch,
      parameters: model.params.reduce((a, p) => a + numElements(p.shape), 0),
      precision: o.precision ?? '32',
      ...(timed.scaler && { skippedSteps: timed.scaler.skipped - timed.skippedBefore, lossScale: timed.scaler.scale }),
      stepsPerRun: K,
      steps,
      sessionSeconds,
      msPerStep: (seconds * 1000) / steps,
      samplesPerSecond: (steps * o.batch) / seconds,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      state: runner.transferSummary.state,
      stateBytes: runner.transferSummary.stateBytes,
      perRun: perRunCopies(t.before, t.after),
    };
  } finally {
    await runner.release();
  }
}

/** The model of the bench's shape and its runner on the device (the session build timed). */
async function benchRunner(o: BenchOptions) {
  const family = familyFor({ model_type: o.modelType }, `--model_type ${o.modelType}`);
  const shape: ModelShape = { ...o, maxLength: o.seq };
  const config = family.parseConfig(family.shapeConfig(o.modelType, shape), `${o.modelType} bench config`);
  const model = new TaskModel(family.create(config, 2, { seed: o.seed }));
  const compute = computeTypeOf(o.precision ?? '32');
  const prepared = await prepareDevice({
    device: o.device,
    // auto here means "the best this machine has": a GPU when one works, else the CPU
    gpus: o.device === 'auto' ? 1 : 0,
    allowCpuFallback: o.device === 'auto',
    log: o.log,
    precision: { compute, allowCpu: o.allowCpuMixedPrecision },
  });
  const caps = capabilitiesOfPrepared(prepared);
  checkMixedPrecision(prepared.device, compute, { allowCpu: o.allowCpuMixedPrecision, webgpuShaderF16: caps.float16 });
  const t0 = performance.now();
  const runner = await Runner.create(model, {
    optimizer: { kind: 'adamw', eps: 1e-8, weightDecay: 0.01 },
    maxGradNorm: 1,
    loop: o.stepsPerRun > 1 ? undefined : false,
    device: prepared.device,
    caps,
    bounds: { dims: { batch: o.batch, seq: o.seq }, fix: 'lower --batch or --seq, or bench on --device cpu or cuda' },
    threads: o.threads,
    params: initWeights(model, o.seed),
    ...(compute && { precision: { compute }, allowCpuMixedPrecision: o.allowCpuMixedPrecision }),
  });
  for (const line of describeShards(runner.layout, caps)) o.log.info(line);
  return { model, config, runner, reason: prepared.reason, sessionSeconds: (performance.now() - t0) / 1000 };
}

/** Untimed warm-up runs, then the timed ones (whole runs of K steps). */
async function timeSteps(runner: Runner<TaskModel>, feeds: MicroBatch, K: number, o: BenchOptions) {
  const lrs = Array.from({ length: K }, () => 1e-5);
  const runs = (n: number) => Math.max(1, Math.ceil(n / K));
  for (let i = 0; i < (o.warmup > 0 ? runs(o.warmup) : 0); i++) await runner.stepRun(feeds, lrs);
  const timedRuns = runs(o.steps);
  const skippedBefore = runner.skippedSteps;
  const before = runner.transferSummary.train;
  const t1 = performance.now();
  for (let i = 0; i < timedRuns; i++) {
    const { losses } = await runner.stepRun(feeds, lrs);
    if (!losses.every(Number.isFinite)) throw new Error(`bench: the loss is not finite (${losses.join(', ')})`);
  }
  const scaler = runner.scalerState();
  const seconds = (performance.now() - t1) / 1000;
  return {
    seconds,
    steps: timedRuns * K,
    scaler,
    skippedBefore,
    transfers: { before, after: runner.transferSummary.train },
  };
}

/** Copies vs compute per timed run: bytes through host memory, ms outside and inside session.run. */
function perRunCopies(before: TransferTotals, after: TransferTotals): BenchResult['perRun'] {
  const n = Math.max(1, after.runs - before.runs);
  return {
    runs: after.runs - before.runs,
    uploadBytes: (after.uploadBytes - before.uploadBytes) / n,
    downloadBytes: (after.downloadBytes - before.downloadBytes) / n,
    hostMs: ((after.hostSeconds - before.hostSeconds) * 1000) / n,
    runMs: ((after.runSeconds - before.runSeconds) * 1000) / n,
  };
}

/** `rows` sequences of `seq` random non-pad token ids, all attended, labels 0/1. */
function randomBatch(rows: number, seq: number, vocab: number, pad: number, seed: number): Batch {
  const rand = mulberry32(seed);
  const n = rows * seq;
  const inputIds = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    let id = Math.floor(rand() * vocab);
    if (id === pad) id = (id + 1) % vocab;
    inputIds[i] = BigInt(id);
  }
  const labels = new BigInt64Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = BigInt(r % 2);
  return {
    batchSize: rows,
    seqLen: seq,
    inputIds,
    attentionMask: new BigInt64Array(n).fill(1n),
    tokenTypeIds: new BigInt64Array(n),
    labels,
    rows: Array.from({ length: rows }, (_, i) => i),
  };
}
