// Runs the train-step graph on ONNX Runtime and owns the training state between runs: one tensor
// per state buffer of the StateLayout (parameters and each optimizer slot, a few flat buffers).
// A run feeds the state tensors as they are and leaves the updated state in tensors that the next
// run is fed as they are, so state never round-trips through per-parameter arrays; exportState()
// is the one explicit step that reads it out under Hugging Face names (checkpoints).
//
// Memory (onnxruntime-node copies every fetched output into a fresh ArrayBuffer): a run of K >= 2
// steps pre-allocates its state outputs in the very tensors it was fed. That is safe because the
// Scan reads its initial state in the first step only and writes the final state in the last step
// (K >= 2: a later one), and it saves a third copy of the state. A 1-step run keeps what ORT
// returns instead.
//
// Mixed precision adds the loss scaler's state, a float32 [2] tensor carried like the rest, and
// counts the steps it skipped: AdamW's step counter is the steps taken less the skipped ones.
import type { InferenceSession } from 'onnxruntime-node';
import { type ort, tensor } from '../onnx/session.js';
import { deviceName, emitTarget, parseDevice, type Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import { checkMixedPrecision } from '../runtime/precision.js';
import { initialScalerState } from '../optim/loss-scale.js';
import { SEQ_DIM, type TrainableModel } from './contract.js';
import { EvalSessions, type EvalResult } from './eval-sessions.js';
import { checkMicroBatch, FeedError, stackBatches, type FeedTensor, type MicroBatch } from './feeds.js';
import { discard } from './garbage.js';
import type { LayoutKind } from './state-layout.js';
import { buildStepGraph, PARAM_SLOT, type StepGraph, type StepGraphOptions } from './step-graph.js';

export interface RunnerOptions extends StepGraphOptions {
  /** 'cpu', 'cuda', 'cuda:N' or a Device (default cpu). */
  device?: Device | string;
  /** Intra-op threads (0 = all cores). */
  threads?: number;
  /** Initial parameters, one per ParamSpec (copied). */
  params: Map<string, Float32Array>;
  /** Mixed precision: the loss scale to start from (default 2^16, as torch's GradScaler). */
  initScale?: number;
  /** Mixed precision on the CPU device, which is refused otherwise (tests: same graphs, no GPU). */
  allowCpuMixedPrecision?: boolean;
}

/** The loss scaler's state (mixed precision). */
export interface ScalerState {
  /** The loss scale S. */
  scale: number;
  /** Finite steps since S last changed. */
  growthTracker: number;
  /** Steps skipped so far for a non-finite gradient norm (not counted by AdamW). */
  skipped: number;
}

/** Everything needed to resume training exactly, under the parameters' names (the lead writes it to safetensors). */
export interface TrainState {
  params: Map<string, Float32Array>;
  /** `<slot>.<param>` (e.g. exp_avg.bert.pooler.dense.weight) -> tensor */
  optimizer: Map<string, Float32Array>;
  /** Training steps completed (skipped mixed-precision steps included). */
  step: number;
  /** Mixed precision: the loss scaler (absent in float32 runs; a run that lacks it starts afresh). */
  scaler?: ScalerState;
}

export interface StepResult {
  /** Mean loss of each optimizer step of the run (mean over the A micro-batches). */
  losses: number[];
  /** Global gradient norm of each step, before clipping. */
  gradNorms: number[];
  /** Mixed precision: whether each step was skipped (non-finite gradients), and the loss scale it ran with. */
  skipped?: boolean[];
  lossScales?: number[];
}

export type { EvalResult } from './eval-sessions.js';

export const optimizerKey = (slot: string, param: string) => `${slot}.${param}`;

/**
 * The state layout a device trains fastest with. GPUs: flat buffers (a handful of optimizer
 * kernels instead of ~14 per parameter, a few large transfers per run). CPU: one tensor per
 * parameter, measured 16% faster on BERT-mini (npm run bench -- --layout flat|per-param): the
 * optimizer's chain of elementwise ops stays in cache on each parameter, where over a flat buffer
 * every op streams the whole buffer through memory; and the number of tensors a run moves costs
 * nothing measurable (onnxruntime-node copies bytes, not tensors).
 */
export function defaultLayout(device: Device): LayoutKind {
  return device.kind === 'cpu' ? 'per-param' : 'flat';
}

/** State this large has its redundant copies freed right after each run (garbage.ts); below, V8 is left to it. */
const DISCARD_MIN_BYTES = 16 << 20;

export class Runner<M extends TrainableModel = TrainableModel> {
  /** The state tensors, aligned with stepGraph.io.state. */
  private state: ort.Tensor[];
  private readonly stateBytes: number;
  private steps = 0;
  /** Mixed precision: the scaler state tensor, and the steps it skipped. */
  private scaler?: ort.Tensor;
  private skipped = 0;
  private readonly evaluator: EvalSessions;

  private constructor(
    readonly model: M,
    readonly device: Device,
    private readonly threads: number,
    readonly stepGraph: StepGraph,
    private readonly session: InferenceSession,
    initial: Map<string, Float32Array>,
    private readonly initScale?: number,
  ) {
    this.state = stepGraph.io.state.map((s) => tensor('float32', new Float32Array(s.group.size), s.group.shape));
    if (stepGraph.io.scaler) this.scaler = tensor('float32', initialScalerState(initScale), [2]);
    this.stateBytes = stepGraph.io.state.reduce((a, s) => a + 4 * s.group.size, 0);
    this.load(initial, new Map(), 'initial parameters');
    const paramIndex = stepGraph.layout.groups.map((grp) =>
      stepGraph.io.state.findIndex((s) => s.group === grp && s.slot === PARAM_SLOT),
    );
    this.evaluator = new EvalSessions(model, stepGraph.layout, device, threads, () =>
      paramIndex.map((i) => this.state[i]),
    );
  }

  static async create<M extends TrainableModel>(model: M, opts: RunnerOptions): Promise<Runner<M>> {
    const device = typeof opts.device === 'string' ? parseDevice(opts.device) : (opts.device ?? { kind: 'cpu' });
    checkMixedPrecision(device, opts.precision?.compute, { allowCpu: opts.allowCpuMixedPrecision });
    const stepGraph = buildStepGraph(model, {
      ...opts,
      layout: opts.layout ?? defaultLayout(device),
      target: opts.target ?? emitTarget(device),
    });
    const session = await openSession(stepGraph.graph, { device, threads: opts.threads });
    return new Runner(model, device, opts.threads ?? 0, stepGraph, session, opts.params, opts.initScale);
  }

  /** Training steps taken (skipped mixed-precision steps included: they consumed their batches). */
  get globalStep(): number {
    return this.steps;
  }
  /** Mixed precision: steps skipped so far for non-finite gradients (0 in float32). */
  get skippedSteps(): number {
    return this.skipped;
  }
  get deviceName(): string {
    return deviceName(this.device);
  }
  get layout() {
    return this.stepGraph.layout;
  }

  /**
   * K = lrs.length optimizer steps in one ORT run; `batches` holds K*A micro-batches, step-major
   * (step 0's A micro-batches first). All micro-batches of a run must have equal shapes.
   */
  async step(batches: readonly MicroBatch[], lrs: readonly number[]): Promise<StepResult> {
    this.checkLrs(lrs);
    const stacked = stackBatches(this.model.batchInputs, batches, lrs.length, this.stepGraph.accumulate);
    return this.runStacked(stacked, lrs, undefined);
  }

  /**
   * Like `step`, for a run whose K*A micro-batches are already one batch: every input holds their
   * rows step-major along dimension 0 ([K*A*B, ...]), which is the stacked [K, A, B, ...] layout
   * as it is (no copy). `seqLens` (K*A numbers): each micro-batch's own length when the run is
   * padded to its longest micro-batch; inputs with a 'seq' dim are cut to it before the step, so
   * the result equals running each micro-batch at its own length.
   */
  async stepRun(run: MicroBatch, lrs: readonly number[], seqLens?: readonly number[]): Promise<StepResult> {
    this.checkLrs(lrs);
    const KA = lrs.length * this.stepGraph.accumulate;
    checkMicroBatch(this.model.batchInputs, run, 'run');
    const rows = run[this.model.batchInputs[0].name].dims[0];
    if (rows % KA !== 0) {
      throw new FeedError(
        `run: ${rows} rows do not split into ${lrs.length} step(s) x accumulate_grad_batches=${this.stepGraph.accumulate} equal micro-batches`,
      );
    }
    const stacked = new Map<string, FeedTensor>();
    for (const spec of this.model.batchInputs) {
      const t = run[spec.name];
      stacked.set(spec.name, {
        data: t.data,
        dims: [lrs.length, this.stepGraph.accumulate, t.dims[0] / KA, ...t.dims.slice(1)],
      });
    }
    return this.runStacked(stacked, lrs, seqLens);
  }

  private checkLrs(lrs: readonly number[]): void {
    const K = lrs.length;
    const { loop } = this.stepGraph;
    if (K < 1) throw new FeedError('step: pass at least one learning rate (one per optimizer step)');
    if (!loop && K !== 1)
      throw new FeedError(
        `step: this runner was built without a Loop (loop=false) and runs exactly 1 step per call, got ${K} learning rates`,
      );
    lrs.forEach((lr, i) => {
      if (!Number.isFinite(lr) || lr < 0)
        throw new FeedError(`step: learning rate ${i} is ${lr}; it must be a finite number >= 0`);
    });
  }

  private async runStacked(
    stacked: Map<string, FeedTensor>,
    lrs: readonly number[],
    seqLens: readonly number[] | undefined,
  ): Promise<StepResult> {
    const K = lrs.length;
    const A = this.stepGraph.accumulate;
    const { io, loop } = this.stepGraph;
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.model.batchInputs) {
      const t = stacked.get(spec.name)!;
      feeds[spec.name] = tensor(spec.dtype, t.data, t.dims);
    }
    if (io.seqLen) {
      const full = runLength(this.model.batchInputs, stacked);
      feeds[io.seqLen] = tensor('int64', seqLenFeed(seqLens, K * A, full), [K, A]);
    }
    const F = io.scalars === 'float32' ? Float32Array : Float64Array;
    feeds[io.lr] = tensor(io.scalars, F.from(lrs), [K]);
    // AdamW's step counter: the optimizer steps applied so far.
    feeds[io.step] = tensor(io.scalars, F.of(this.steps - this.skipped), []);
    io.state.forEach((s, i) => (feeds[s.input] = this.state[i]));
    if (io.scaler && this.scaler) feeds[io.scaler.input] = this.scaler;

    const fetches: Record<string, ort.Tensor | null> = { [io.loss]: null, [io.gradNorm]: null };
    if (io.scaler) fetches[io.scaler.output] = null;
    if (io.skipped && io.lossScale) Object.assign(fetches, { [io.skipped]: null, [io.lossScale]: null });
    const inPlace = loop && K >= 2;
    io.state.forEach((s, i) => (fetches[s.output] = inPlace ? this.state[i] : null));
    const result = await this.session.run(feeds, fetches);
    // The state arrays this run made redundant: the copies of what it wrote into the fed tensors,
    // or (1-step runs, which keep the copies) the previous state.
    const redundant = (inPlace ? io.state.map((s) => result[s.output]) : this.state).map((t) => t.data as Float32Array);
    if (!inPlace) this.state = io.state.map((s) => result[s.output]);
    this.steps += K;
    const out: StepResult = {
      losses: Array.from(result[io.loss].data as Float32Array),
      gradNorms: Array.from(result[io.gradNorm].data as Float32Array),
    };
    if (io.scaler && io.skipped && io.lossScale) {
      this.scaler = result[io.scaler.output];
      out.skipped = Array.from(result[io.skipped].data as Uint8Array, (b) => b !== 0);
      out.lossScales = Array.from(result[io.lossScale].data as Float32Array);
      this.skipped += out.skipped.filter(Boolean).length;
    }
    if (this.stateBytes >= DISCARD_MIN_BYTES) discard(redundant);
    return out;
  }

  /** Forward pass on one micro-batch with the current parameters; loss only when labels are given. */
  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    return (await this.evaluateMany([batch]))[0];
  }

  /**
   * Forward passes on several batches in as few runs as their sizes allow, with the current
   * parameters (the state tensors themselves: fed once per run). See EvalSessions.
   */
  evaluateMany(batches: readonly MicroBatch[]): Promise<EvalResult[]> {
    return this.evaluator.evaluateMany(batches);
  }

  /** Mixed precision: the loss scaler's state (undefined in float32). */
  scalerState(): ScalerState | undefined {
    if (!this.scaler) return undefined;
    const [scale, growthTracker] = this.scaler.data as Float32Array;
    return { scale, growthTracker, skipped: this.skipped };
  }

  /** Reads the state out of the run's tensors: copies of the parameters and optimizer state under their names, and the step count. */
  exportState(): TrainState {
    const params = new Map<string, Float32Array>();
    const optimizer = new Map<string, Float32Array>();
    const { layout } = this.stepGraph;
    for (const slot of [PARAM_SLOT, ...this.stepGraph.optimizer.slots]) {
      const buffers = this.buffersOf(slot);
      for (const [name, data] of layout.unpack(buffers)) {
        if (slot === PARAM_SLOT) params.set(name, data);
        else optimizer.set(optimizerKey(slot, name), data);
      }
    }
    const scaler = this.scalerState();
    return { params, optimizer, step: this.steps, ...(scaler && { scaler }) };
  }

  /** Restores a TrainState (e.g. from a checkpoint); every parameter and state tensor must be present. */
  importState(s: TrainState): void {
    if (!Number.isInteger(s.step) || s.step < 0)
      throw new FeedError(`importState: step must be an integer >= 0, got ${s.step}`);
    const sc = s.scaler;
    if (this.scaler && sc) {
      const ok = (v: number) => Number.isInteger(v) && v >= 0;
      if (
        !(sc.scale > 0) ||
        !Number.isFinite(sc.scale) ||
        !ok(sc.growthTracker) ||
        !ok(sc.skipped) ||
        sc.skipped > s.step
      )
        throw new FeedError(
          `importState: loss scaler ${JSON.stringify(sc)} is invalid (scale > 0, growthTracker and skipped integers >= 0, skipped <= step ${s.step})`,
        );
    }
    this.load(s.params, s.optimizer, 'checkpoint');
    this.steps = s.step;
    if (this.scaler) {
      // A float32 checkpoint resumed in mixed precision starts a fresh scaler.
      this.scaler = tensor(
        'float32',
        sc ? Float32Array.of(sc.scale, sc.growthTracker) : initialScalerState(this.initScale),
        [2],
      );
      this.skipped = sc?.skipped ?? 0;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.evaluator.release();
  }

  private buffersOf(slot: string): Float32Array[] {
    return this.stepGraph.layout.groups.map((grp) => {
      const i = this.stepGraph.io.state.findIndex((s) => s.group === grp && s.slot === slot);
      return this.state[i].data as Float32Array;
    });
  }

  /** Checks, then copies params (required) and optimizer state (zeros when `optimizer` is empty) into the state tensors. */
  private load(params: Map<string, Float32Array>, optimizer: Map<string, Float32Array>, what: string): void {
    const { layout, optimizer: opt } = this.stepGraph;
    const known = this.model.params;
    for (const name of params.keys()) {
      if (!layout.slots.has(name))
        throw new FeedError(
          `${what}: unknown parameter '${name}' (the model has ${known.length} parameters, e.g. '${known[0]?.name}')`,
        );
    }
    for (const k of optimizer.keys()) {
      const slot = opt.slots.find((s) => k.startsWith(`${s}.`));
      if (!slot || !layout.slots.has(k.slice(slot.length + 1)))
        throw new FeedError(
          `${what}: unknown optimizer state '${k}' (expected <slot>.<param> with slots ${opt.slots.join(', ') || '(none)'})`,
        );
    }
    const fresh = optimizer.size === 0;
    const check = (key: string, src: Float32Array | undefined, size: number, shape: number[]) => {
      if (!src) throw new FeedError(`${what}: '${key}' is missing`);
      if (src.length !== size)
        throw new FeedError(
          `${what}: '${key}' has ${src.length} values, expected ${size} (shape [${shape.join(', ')}])`,
        );
    };
    for (const s of layout.slots.values()) {
      check(s.spec.name, params.get(s.spec.name), s.size, s.spec.shape);
      if (!fresh)
        for (const slot of opt.slots) {
          const k = optimizerKey(slot, s.spec.name);
          check(k, optimizer.get(k), s.size, s.spec.shape);
        }
    }
    // Everything checked: now write (a failed import leaves the state as it was).
    for (const slot of [PARAM_SLOT, ...opt.slots]) {
      const buffers = this.buffersOf(slot);
      for (const s of layout.slots.values()) {
        const dst = buffers[layout.groups.indexOf(s.group)];
        const src = slot === PARAM_SLOT ? params.get(s.spec.name) : optimizer.get(optimizerKey(slot, s.spec.name));
        if (src) dst.set(src, s.offset);
        else dst.fill(0, s.offset, s.offset + s.size);
      }
    }
  }
}

/** The padded length of a run: the size of the first 'seq' dim among the stacked inputs. */
function runLength(specs: TrainableModel['batchInputs'], stacked: Map<string, FeedTensor>): number {
  for (const spec of specs) {
    const axis = spec.shape.indexOf(SEQ_DIM);
    if (axis >= 0) return stacked.get(spec.name)!.dims[axis + 2];
  }
  return 0;
}

function seqLenFeed(seqLens: readonly number[] | undefined, count: number, full: number): BigInt64Array {
  if (!seqLens) return new BigInt64Array(count).fill(BigInt(full));
  if (seqLens.length !== count)
    throw new FeedError(
      `run: ${seqLens.length} sequence lengths for ${count} micro-batches (pass one per micro-batch)`,
    );
  seqLens.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1 || n > full)
      throw new FeedError(
        `run: micro-batch ${i} has length ${n}; lengths must be integers in 1..${full} (the run's padded length)`,
      );
  });
  return BigInt64Array.from(seqLens, BigInt);
}
