// Runs the train-step graph on ONNX Runtime and owns the training state between runs: one tensor
// per state buffer of the StateLayout (parameters and each optimizer slot, a few flat buffers).
// A run feeds the state tensors as they are and leaves the updated state in tensors that the next
// run is fed as they are, so state never round-trips through per-parameter arrays; exportState()
// is the one explicit step that reads it out under Hugging Face names (checkpoints).
//
// Resident state (WebGPU, the default there): the state outputs stay in device memory
// ('gpu-buffer' tensors) and are fed back as the next run's inputs, so a run uploads only its
// batch and scalars and brings back only losses and gradient norms; evaluation is fed the same
// device tensors, and exportState() reads them back through an Identity session (device-copy.ts).
// The step graph is then the plain one-step graph, run once per step: ORT's WebGPU EP has no Scan
// kernel, so a Scan runs on the CPU EP and would carry the state through host memory every step.
//
// Host state (CPU, CUDA): onnxruntime-node copies every fetched output into a fresh ArrayBuffer,
// so a run of K >= 2 steps pre-allocates its state outputs in the very tensors it was fed. That is
// safe because the Scan reads its initial state in the first step only and writes the final state
// in the last step (K >= 2: a later one), and it saves a third copy of the state. A 1-step run
// keeps what ORT returns instead.
//
// Mixed precision adds the loss scaler's state, a float32 [2] tensor carried like the rest (in host
// memory: 8 bytes), and counts the steps it skipped: AdamW's step counter is the steps taken less
// the skipped ones.
import type { InferenceSession } from 'onnxruntime-node';
import { type ort, tensor } from '../onnx/session.js';
import { capabilitiesOf, type DeviceCaps } from '../runtime/capabilities.js';
import { deviceName, parseDevice, type Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import { checkMixedPrecision } from '../runtime/precision.js';
import { initialScalerState } from '../optim/loss-scale.js';
import { numElements } from '../util/shape.js';
import { SEQ_DIM, type TrainableModel } from './contract.js';
import { EvalSessions, type EvalResult } from './eval-sessions.js';
import { checkTensorSizes, type TensorBounds } from './buffer-limits.js';
import { checkMicroBatch, FeedError, stackBatches, type FeedTensor, type MicroBatch } from './feeds.js';
import { discard } from './garbage.js';
import { DeviceCopy } from './device-copy.js';
import { buildStepGraph, PARAM_SLOT, type StepGraph, type StepGraphOptions } from './step-graph.js';
import { TransferMeter, type TransferSummary } from './transfers.js';

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
  /**
   * Keep parameters and optimizer state in device memory between runs (devices whose capabilities
   * allow it, the default there: WebGPU). false: the state crosses host memory every run.
   */
  resident?: boolean;
  /**
   * The device's capabilities (default: capabilitiesOf(device), without adapter facts); `graphs`
   * (StepGraphOptions) overrides what the graphs are emitted for (tests: webgpu's graphs on the CPU).
   */
  caps?: DeviceCaps;
  /**
   * The run's largest shapes: with a device buffer limit, a step graph that would make a tensor
   * over it at these sizes is refused (BufferLimitError) before any session opens.
   */
  bounds?: TensorBounds;
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
 * The step graph a runner builds for `model` on its device (no session): the options resolved
 * against the device's capabilities, and, with `bounds` and a buffer limit, every tensor checked
 * against the limit. checkModelFits (train/device-fit.ts) runs this before a run reads its data.
 */
export function planStepGraph(
  model: TrainableModel,
  opts: Omit<RunnerOptions, 'params'>,
): { stepGraph: StepGraph; device: Device; caps: DeviceCaps; resident: boolean } {
  const device = typeof opts.device === 'string' ? parseDevice(opts.device) : (opts.device ?? { kind: 'cpu' });
  const caps = opts.caps ?? capabilitiesOf(device);
  const graphs = opts.graphs ?? caps.graphs;
  const resident = opts.resident ?? caps.residentState;
  if (resident && !caps.residentState)
    throw new FeedError(
      `resident state needs the webgpu device (on ${deviceName(device)} onnxruntime-node returns every output in host memory)`,
    );
  // Resident: the plain one-step graph (a Scan runs on the CPU EP under WebGPU; see the top).
  const stepGraph = buildStepGraph(model, {
    ...opts,
    graphs,
    loop: opts.loop ?? !resident,
    layout: opts.layout ?? caps.layout,
  });
  if (opts.bounds && graphs.maxBufferBytes !== undefined)
    checkTensorSizes(stepGraph.graph, { maxBytes: graphs.maxBufferBytes, source: graphs.limitSource }, opts.bounds);
  return { stepGraph, device, caps: { ...caps, graphs }, resident };
}

/** State this large has its redundant copies freed right after each run (garbage.ts); below, V8 is left to it. */
const DISCARD_MIN_BYTES = 16 << 20;

export class Runner<M extends TrainableModel = TrainableModel> {
  /** The state tensors, aligned with stepGraph.io.state: host tensors, or (resident, after a run) device tensors. */
  private state: ort.Tensor[];
  private readonly stateBytes: number;
  private steps = 0;
  /** Mixed precision: the scaler state tensor, and the steps it skipped. */
  private scaler?: ort.Tensor;
  private skipped = 0;
  private readonly evaluator: EvalSessions;
  private readonly copier: DeviceCopy;
  /** Bytes and seconds of every ORT run this runner made (train, eval, state readback and upload). */
  readonly transfers: TransferMeter;

  private constructor(
    readonly model: M,
    readonly device: Device,
    /** What the device can run (the graphs' capabilities as this runner's graphs were built). */
    readonly caps: DeviceCaps,
    private readonly threads: number,
    readonly stepGraph: StepGraph,
    /** The train-step session (public for tools and tests that inspect its runs). */
    readonly session: InferenceSession,
    /** State stays in device memory between runs. */
    readonly resident: boolean,
    initial: Map<string, Float32Array>,
    private readonly initScale?: number,
  ) {
    this.state = this.hostState();
    if (stepGraph.io.scaler) this.scaler = tensor('float32', initialScalerState(initScale), [2]);
    this.stateBytes = stepGraph.io.state.reduce((a, s) => a + 4 * s.group.size, 0);
    this.transfers = new TransferMeter(resident ? 'device' : 'host', this.stateBytes);
    this.copier = new DeviceCopy(
      device,
      stepGraph.io.state.map((s) => s.group.shape),
      this.transfers,
    );
    this.load(initial, new Map(), 'initial parameters');
    const paramIndex = stepGraph.layout.groups.map((grp) =>
      stepGraph.io.state.findIndex((s) => s.group === grp && s.slot === PARAM_SLOT),
    );
    this.evaluator = new EvalSessions(
      model,
      stepGraph.layout,
      device,
      threads,
      () => paramIndex.map((i) => this.state[i]),
      this.transfers,
      { graphs: caps.graphs },
    );
  }

  static async create<M extends TrainableModel>(model: M, opts: RunnerOptions): Promise<Runner<M>> {
    const device = typeof opts.device === 'string' ? parseDevice(opts.device) : (opts.device ?? { kind: 'cpu' });
    checkMixedPrecision(device, opts.precision?.compute, { allowCpu: opts.allowCpuMixedPrecision });
    const { stepGraph, caps, resident } = planStepGraph(model, { ...opts, device });
    const session = await openSession(stepGraph.graph, {
      device,
      threads: opts.threads,
      outputsOnDevice: resident ? stepGraph.io.state.map((s) => s.output) : undefined,
    });
    return new Runner(
      model,
      device,
      caps,
      opts.threads ?? 0,
      stepGraph,
      session,
      resident,
      opts.params,
      opts.initScale,
    );
  }

  /** Bytes and seconds of the runs so far: copies versus compute. */
  get transferSummary(): TransferSummary {
    return this.transfers.summary();
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
   * K = lrs.length optimizer steps in one call (one ORT run with the Scan graph; K runs of the
   * one-step graph); `batches` holds K*A micro-batches, step-major (step 0's A micro-batches
   * first). All micro-batches of a call must have equal shapes.
   */
  async step(batches: readonly MicroBatch[], lrs: readonly number[]): Promise<StepResult> {
    this.checkLrs(lrs);
    return this.transfers.measure('train', (run) => {
      const stacked = stackBatches(this.model.batchInputs, batches, lrs.length, this.stepGraph.accumulate);
      return this.runStacked(run, stacked, lrs, undefined);
    });
  }

  /**
   * Like `step`, for a call whose K*A micro-batches are already one batch: every input holds their
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
    return this.transfers.measure('train', (ortRun) => {
      const stacked = new Map<string, FeedTensor>();
      for (const spec of this.model.batchInputs) {
        const t = run[spec.name];
        stacked.set(spec.name, {
          data: t.data,
          dims: [lrs.length, this.stepGraph.accumulate, t.dims[0] / KA, ...t.dims.slice(1)],
        });
      }
      return this.runStacked(ortRun, stacked, lrs, seqLens);
    });
  }

  private checkLrs(lrs: readonly number[]): void {
    if (lrs.length < 1) throw new FeedError('step: pass at least one learning rate (one per optimizer step)');
    lrs.forEach((lr, i) => {
      if (!Number.isFinite(lr) || lr < 0)
        throw new FeedError(`step: learning rate ${i} is ${lr}; it must be a finite number >= 0`);
    });
  }

  /** The call's K steps: one ORT run of the Scan graph, or K runs of the one-step graph. */
  private async runStacked(
    run: OrtRun,
    stacked: Map<string, FeedTensor>,
    lrs: readonly number[],
    seqLens: readonly number[] | undefined,
  ): Promise<StepResult> {
    const K = lrs.length;
    const A = this.stepGraph.accumulate;
    const { io, loop } = this.stepGraph;
    const seq = io.seqLen ? seqLenFeed(seqLens, K * A, runLength(this.model.batchInputs, stacked)) : undefined;
    const steps = loop ? [{ from: 0, count: K }] : lrs.map((_, k) => ({ from: k, count: 1 }));
    const out: StepResult = { losses: [], gradNorms: [] };
    const F = io.scalars === 'float32' ? Float32Array : Float64Array;
    for (const { from, count } of steps) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const spec of this.model.batchInputs) {
        const t = stacked.get(spec.name)!;
        const per = t.data.length / K;
        const data = count === K ? t.data : (t.data.subarray(from * per, (from + count) * per) as FeedTensor['data']);
        feeds[spec.name] = tensor(spec.dtype, data, [count, ...t.dims.slice(1)]);
      }
      if (io.seqLen) feeds[io.seqLen] = tensor('int64', seq!.subarray(from * A, (from + count) * A), [count, A]);
      feeds[io.lr] = tensor(io.scalars, F.from(lrs.slice(from, from + count)), [count]);
      // Each step's global index (skipped steps included): dropout's draws.
      feeds[io.stepIndex] = tensor(
        'int64',
        BigInt64Array.from({ length: count }, (_, k) => BigInt(this.steps + k)),
        [count],
      );
      // AdamW's step counter: the optimizer steps applied so far.
      feeds[io.step] = tensor(io.scalars, F.of(this.steps - this.skipped), []);
      const r = await this.runOnce(run, feeds, count);
      out.losses.push(...r.losses);
      out.gradNorms.push(...r.gradNorms);
      if (r.skipped) (out.skipped ??= []).push(...r.skipped);
      if (r.lossScales) (out.lossScales ??= []).push(...r.lossScales);
    }
    return out;
  }

  /** One ORT run of `count` steps: feeds the state, keeps the updated state, frees what it replaced. */
  private async runOnce(run: OrtRun, feeds: Record<string, ort.Tensor>, count: number): Promise<StepResult> {
    const { io, loop } = this.stepGraph;
    io.state.forEach((s, i) => (feeds[s.input] = this.state[i]));
    if (io.scaler && this.scaler) feeds[io.scaler.input] = this.scaler;
    const fetches: Record<string, ort.Tensor | null> = { [io.loss]: null, [io.gradNorm]: null };
    if (io.scaler) fetches[io.scaler.output] = null;
    if (io.skipped && io.lossScale) Object.assign(fetches, { [io.skipped]: null, [io.lossScale]: null });
    const inPlace = !this.resident && loop && count >= 2;
    io.state.forEach((s, i) => (fetches[s.output] = inPlace ? this.state[i] : null));
    // Every output is fetched: onnxruntime-node applies preferredOutputLocation by position among
    // the fetched outputs, so leaving one out (the Scan's step counter) shifts device placement
    // onto the wrong outputs.
    for (const name of this.session.outputNames) if (!(name in fetches)) fetches[name] = null;
    const result = await run(this.session, feeds, fetches);
    const previous = this.state;
    if (!inPlace) this.state = io.state.map((s) => result[s.output]);
    this.steps += count;
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
    if (this.resident) {
      // The run has consumed the previous state: device buffers go back to ORT now, not at V8's leisure.
      disposeOnDevice(previous);
    } else if (this.stateBytes >= DISCARD_MIN_BYTES) {
      // The state arrays this run made redundant: the copies of what it wrote into the fed tensors,
      // or (runs that keep the copies) the previous state.
      discard((inPlace ? io.state.map((s) => result[s.output]) : previous).map((t) => t.data as Float32Array));
    }
    return out;
  }

  /** Forward pass on one micro-batch with the current parameters; loss only when labels are given. */
  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    return (await this.evaluateMany([batch]))[0];
  }

  /**
   * Forward passes on several batches in as few runs as their sizes allow, with the current
   * parameters (the state tensors themselves, on the device when resident: fed once per run).
   * See EvalSessions.
   */
  async evaluateMany(batches: readonly MicroBatch[]): Promise<EvalResult[]> {
    await this.stateOnDevice();
    return this.evaluator.evaluateMany(batches);
  }

  /** Mixed precision: the loss scaler's state (undefined in float32). */
  scalerState(): ScalerState | undefined {
    if (!this.scaler) return undefined;
    const [scale, growthTracker] = this.scaler.data as Float32Array;
    return { scale, growthTracker, skipped: this.skipped };
  }

  /**
   * Resident state that is in host memory (initial, or just imported from a checkpoint) goes to
   * the device once, so that evaluation runs do not upload the parameters each time.
   */
  private async stateOnDevice(): Promise<void> {
    if (!this.resident || this.state.every((t) => t.location === 'gpu-buffer')) return;
    const host = this.state;
    const device = await this.copier.toDevice(host);
    // A tensor already on the device was copied too: free the original.
    disposeOnDevice(host);
    this.state = device;
  }

  /**
   * Reads the state out: copies of the parameters and optimizer state under their names, and the
   * step count. Resident state comes back through one readback run (the device keeps its copy).
   */
  async exportState(): Promise<TrainState> {
    const host = await this.copier.toHost(this.state);
    const params = new Map<string, Float32Array>();
    const optimizer = new Map<string, Float32Array>();
    const { layout, io } = this.stepGraph;
    for (const slot of [PARAM_SLOT, ...this.stepGraph.optimizer.slots]) {
      const buffers = layout.groups.map((grp) => host[io.state.findIndex((s) => s.group === grp && s.slot === slot)]);
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
    // Device tensors first: freeing one after its session is gone crashes the process (segfault).
    disposeOnDevice(this.state);
    this.state = [];
    await this.session.release();
    await this.evaluator.release();
    await this.copier.release();
  }

  /** Fresh zeroed host tensors for the state. */
  private hostState(): ort.Tensor[] {
    return this.stepGraph.io.state.map((s) => tensor('float32', new Float32Array(s.group.size), s.group.shape));
  }

  /**
   * Checks, then copies params (required) and optimizer state (zeros when `optimizer` is empty)
   * into the state: in place when it is in host memory, else into new host tensors that replace
   * the device ones (the next run uploads them).
   */
  private load(params: Map<string, Float32Array>, optimizer: Map<string, Float32Array>, what: string): void {
    const { layout, optimizer: opt, io } = this.stepGraph;
    const known = this.model.params;
    for (const name of params.keys()) {
      if (!layout.pieces.has(name))
        throw new FeedError(
          `${what}: unknown parameter '${name}' (the model has ${known.length} parameters, e.g. '${known[0]?.name}')`,
        );
    }
    for (const k of optimizer.keys()) {
      const slot = opt.slots.find((s) => k.startsWith(`${s}.`));
      if (!slot || !layout.pieces.has(k.slice(slot.length + 1)))
        throw new FeedError(
          `${what}: unknown optimizer state '${k}' (expected <slot>.<param> with slots ${opt.slots.join(', ') || '(none)'})`,
        );
    }
    const fresh = optimizer.size === 0;
    const check = (key: string, src: Float32Array | undefined, shape: number[]) => {
      const size = numElements(shape);
      if (!src) throw new FeedError(`${what}: '${key}' is missing`);
      if (src.length !== size)
        throw new FeedError(
          `${what}: '${key}' has ${src.length} values, expected ${size} (shape [${shape.join(', ')}])`,
        );
    };
    for (const spec of known) {
      check(spec.name, params.get(spec.name), spec.shape);
      if (!fresh)
        for (const slot of opt.slots) {
          const k = optimizerKey(slot, spec.name);
          check(k, optimizer.get(k), spec.shape);
        }
    }
    // Everything checked: now write (a failed import leaves the state as it was).
    const onHost = this.state.every((t) => t.location === 'cpu');
    const target = onHost ? this.state : this.hostState();
    for (const slot of [PARAM_SLOT, ...opt.slots]) {
      for (const pieces of layout.pieces.values())
        for (const s of pieces) {
          const i = io.state.findIndex((x) => x.group === s.group && x.slot === slot);
          const dst = target[i].data as Float32Array;
          const src = slot === PARAM_SLOT ? params.get(s.spec.name) : optimizer.get(optimizerKey(slot, s.spec.name));
          if (src) dst.set(src.subarray(s.from, s.from + s.size), s.offset);
          else dst.fill(0, s.offset, s.offset + s.size);
        }
    }
    if (!onHost) {
      const previous = this.state;
      this.state = target;
      disposeOnDevice(previous);
    }
  }
}

type OrtRun = Parameters<Parameters<TransferMeter['measure']>[1]>[0];

/** Frees tensors that live on a device (host tensors are V8's to collect). */
function disposeOnDevice(ts: readonly ort.Tensor[]): void {
  for (const t of ts) if (t.location === 'gpu-buffer') t.dispose();
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
