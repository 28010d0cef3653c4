// Runs the train-step graph on ONNX Runtime and owns the training state between runs: parameters
// and optimizer state live in two pre-allocated buffer sets; each run reads one set and writes the
// other (double buffering: no per-run allocation of ~1.3 GB for BERT-base, and a failed run leaves
// the current state untouched). The eval graph reads the current set directly.
import type { InferenceSession } from 'onnxruntime-node';
import { type ort, tensor } from '../onnx/session.js';
import { deviceName, parseDevice, type Device } from '../runtime/device.js';
import { buildEvalGraph, type EvalGraph } from './eval-graph.js';
import { checkMicroBatch, FeedError, stackBatches, type FeedTensor, type MicroBatch } from './feeds.js';
import type { TrainableModel } from './contract.js';
import { openSession } from '../runtime/open-session.js';
import { buildStepGraph, stateKey, type StepGraph, type StepGraphOptions } from './step-graph.js';
import { numElements } from '../util/shape.js';

export interface RunnerOptions extends StepGraphOptions {
  /** 'cpu', 'cuda', 'cuda:N' or a Device (default cpu). */
  device?: Device | string;
  /** Intra-op threads (0 = all cores). */
  threads?: number;
  /** Initial parameters, one per ParamSpec (copied). */
  params: Map<string, Float32Array>;
}

/** Everything needed to resume training exactly (the lead writes it to safetensors). */
export interface TrainState {
  params: Map<string, Float32Array>;
  /** `<slot>.<param>` (e.g. exp_avg.bert.pooler.dense.weight) -> tensor */
  optimizer: Map<string, Float32Array>;
  /** Optimizer steps completed. */
  step: number;
}

export interface StepResult {
  /** Mean loss of each optimizer step of the run (mean over the A micro-batches). */
  losses: number[];
  /** Global gradient norm of each step, before clipping. */
  gradNorms: number[];
}

export interface EvalResult {
  logits: Float32Array;
  dims: number[];
  loss?: number;
}

/** A buffer set: graph-input name -> tensor, for parameters and optimizer state. */
type Buffers = Map<string, ort.Tensor>;

export class Runner<M extends TrainableModel = TrainableModel> {
  private current: Buffers;
  private spare?: Buffers;
  private steps = 0;
  private readonly evalSessions = new Map<boolean, Promise<{ session: InferenceSession; eval: EvalGraph }>>();

  private constructor(
    readonly model: M,
    readonly device: Device,
    private readonly threads: number,
    readonly stepGraph: StepGraph,
    private readonly session: InferenceSession,
    initial: Map<string, Float32Array>,
  ) {
    this.current = this.allocate();
    this.load(this.current, initial, new Map(), 'initial parameters');
  }

  static async create<M extends TrainableModel>(model: M, opts: RunnerOptions): Promise<Runner<M>> {
    const device = typeof opts.device === 'string' ? parseDevice(opts.device) : (opts.device ?? { kind: 'cpu' });
    const stepGraph = buildStepGraph(model, opts);
    const session = await openSession(stepGraph.graph, { device, threads: opts.threads });
    return new Runner(model, device, opts.threads ?? 0, stepGraph, session, opts.params);
  }

  get globalStep(): number {
    return this.steps;
  }
  get deviceName(): string {
    return deviceName(this.device);
  }

  /**
   * K = lrs.length optimizer steps in one ORT run; `batches` holds K*A micro-batches, step-major
   * (step 0's A micro-batches first). All micro-batches of a run must have equal shapes.
   */
  async step(batches: readonly MicroBatch[], lrs: readonly number[]): Promise<StepResult> {
    this.checkLrs(lrs);
    const stacked = stackBatches(this.model.batchInputs, batches, lrs.length, this.stepGraph.accumulate);
    return this.runStacked(stacked, lrs);
  }

  /**
   * Like `step`, for a run whose K*A micro-batches are already one batch: every input holds their
   * rows step-major along dimension 0 ([K*A*B, ...]), which is the stacked [K, A, B, ...] layout
   * as it is (no copy).
   */
  async stepRun(run: MicroBatch, lrs: readonly number[]): Promise<StepResult> {
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
    return this.runStacked(stacked, lrs);
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

  private async runStacked(stacked: Map<string, FeedTensor>, lrs: readonly number[]): Promise<StepResult> {
    const K = lrs.length;
    const { io } = this.stepGraph;
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.model.batchInputs) {
      const t = stacked.get(spec.name)!;
      feeds[spec.name] = tensor(spec.dtype, t.data, t.dims);
    }
    feeds[io.lr] = tensor('float64', Float64Array.from(lrs), [K]);
    feeds[io.step] = tensor('float64', Float64Array.of(this.steps), []);
    for (const [name, t] of this.current) feeds[name] = t;

    const spare = this.spare ?? this.allocate();
    const fetches: Record<string, ort.Tensor | null> = { [io.loss]: null, [io.gradNorm]: null };
    for (const [p, out] of io.paramOut) fetches[out] = spare.get(io.paramIn.get(p)!)!;
    for (const [k, out] of io.stateOut) fetches[out] = spare.get(io.stateIn.get(k)!)!;
    const result = await this.session.run(feeds, fetches);

    this.spare = this.current;
    this.current = spare;
    this.steps += K;
    return {
      losses: Array.from(result[io.loss].data as Float32Array),
      gradNorms: Array.from(result[io.gradNorm].data as Float32Array),
    };
  }

  /** Forward pass on one micro-batch with the current parameters; loss only when labels are given. */
  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    const withLabels = 'labels' in batch;
    const { session, eval: ev } = await this.evalSession(withLabels);
    checkMicroBatch(ev.inputs, batch, 'evaluate');
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of ev.inputs) feeds[spec.name] = tensor(spec.dtype, batch[spec.name].data, batch[spec.name].dims);
    for (const p of this.model.params) feeds[p.name] = this.current.get(p.name)!;
    const r = await session.run(feeds);
    return {
      logits: r.logits.data as Float32Array,
      dims: [...r.logits.dims],
      loss: withLabels ? Number((r.loss.data as Float32Array)[0]) : undefined,
    };
  }

  /** Copies of the parameters, optimizer state and step count (safe to keep across steps). */
  exportState(): TrainState {
    const params = new Map<string, Float32Array>();
    const optimizer = new Map<string, Float32Array>();
    for (const p of this.model.params) params.set(p.name, (this.current.get(p.name)!.data as Float32Array).slice());
    for (const [k, input] of this.stepGraph.io.stateIn)
      optimizer.set(k, (this.current.get(input)!.data as Float32Array).slice());
    return { params, optimizer, step: this.steps };
  }

  /** Restores a TrainState (e.g. from a checkpoint); every parameter and state tensor must be present. */
  importState(s: TrainState): void {
    if (!Number.isInteger(s.step) || s.step < 0)
      throw new FeedError(`importState: step must be an integer >= 0, got ${s.step}`);
    this.load(this.current, s.params, s.optimizer, 'checkpoint');
    this.steps = s.step;
  }

  async release(): Promise<void> {
    await this.session.release();
    // An eval session that failed to open has nothing to release (its error was already thrown).
    for (const p of this.evalSessions.values()) await (await p.catch(() => undefined))?.session.release();
    this.evalSessions.clear();
  }

  private evalSession(withLabels: boolean) {
    let p = this.evalSessions.get(withLabels);
    if (!p) {
      const ev = buildEvalGraph(this.model, { labels: withLabels });
      p = openSession(ev.graph, { device: this.device, threads: this.threads }).then((session) => ({
        session,
        eval: ev,
      }));
      this.evalSessions.set(withLabels, p);
    }
    return p;
  }

  private allocate(): Buffers {
    const b: Buffers = new Map();
    for (const p of this.model.params) {
      const n = numElements(p.shape);
      b.set(this.stepGraph.io.paramIn.get(p.name)!, tensor('float32', new Float32Array(n), p.shape));
      for (const slot of this.stepGraph.optimizer.slots) {
        b.set(this.stepGraph.io.stateIn.get(stateKey(slot, p.name))!, tensor('float32', new Float32Array(n), p.shape));
      }
    }
    return b;
  }

  /** Copies params (required) and optimizer state (zeros when `optimizer` is empty) into `into`. */
  private load(
    into: Buffers,
    params: Map<string, Float32Array>,
    optimizer: Map<string, Float32Array>,
    what: string,
  ): void {
    const known = new Set(this.model.params.map((p) => p.name));
    for (const name of params.keys()) {
      if (!known.has(name))
        throw new FeedError(
          `${what}: unknown parameter '${name}' (the model has ${known.size} parameters, e.g. '${this.model.params[0]?.name}')`,
        );
    }
    const stateKeys = new Set(this.stepGraph.io.stateIn.keys());
    for (const k of optimizer.keys()) {
      if (!stateKeys.has(k))
        throw new FeedError(
          `${what}: unknown optimizer state '${k}' (expected <slot>.<param> with slots ${this.stepGraph.optimizer.slots.join(', ') || '(none)'})`,
        );
    }
    const fill = (key: string, input: string, src: Float32Array | undefined, required: boolean) => {
      const dst = into.get(input)!.data as Float32Array;
      if (!src) {
        if (required) throw new FeedError(`${what}: '${key}' is missing`);
        dst.fill(0);
        return;
      }
      if (src.length !== dst.length)
        throw new FeedError(
          `${what}: '${key}' has ${src.length} values, expected ${dst.length} (shape [${into.get(input)!.dims.join(', ')}])`,
        );
      dst.set(src);
    };
    const fresh = optimizer.size === 0;
    for (const p of this.model.params) {
      fill(p.name, this.stepGraph.io.paramIn.get(p.name)!, params.get(p.name), true);
      for (const slot of this.stepGraph.optimizer.slots) {
        const k = stateKey(slot, p.name);
        fill(k, this.stepGraph.io.stateIn.get(k)!, optimizer.get(k), !fresh);
      }
    }
  }
}
