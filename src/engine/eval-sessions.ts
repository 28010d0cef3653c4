// Evaluation sessions over a model's eval graph: batches stacked [E, ...] (padded to the longest,
// cut back per batch by seq_len), the parameters fed as the layout's buffers once per run. The
// Runner evaluates with its training state this way; a Scorer (predict/evaluate) with loaded weights.
// Without Scan (WebGPU) the eval graph is the Scan-free one (eval-graph.ts: no Scan kernel there)
// and each batch is a run of its own, fed the parameter tensors as they are: the resident device
// tensors during training, so only the batch goes up and only logits and loss come back. Host
// parameters go to the device once per call of several batches (a non-resident runner's), as the
// Scan graph takes them once per run, or once for the sessions' life (a Scorer's: paramsFixed).
import type { InferenceSession } from 'onnxruntime-node';
import { type ort, tensor } from '../onnx/session.js';
import { capabilitiesOf, type GraphCaps } from '../runtime/capabilities.js';
import type { Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import { SEQ_DIM, type TrainableModel } from './contract.js';
import { buildEvalGraph, type EvalGraph } from './eval-graph.js';
import { DeviceCopy } from './device-copy.js';
import { checkMicroBatch, FeedError, type FeedTensor, type MicroBatch } from './feeds.js';
import type { StateLayout } from './state-layout.js';
import { TransferMeter } from './transfers.js';

export interface EvalResult {
  logits: Float32Array;
  dims: number[];
  loss?: number;
}

export interface EvalSessionsOptions {
  /** What the graphs may contain (default: the device's); the Runner passes its step graph's. */
  graphs?: GraphCaps;
  /**
   * `params()` returns the same host tensors, unchanged, for the sessions' life (a Scorer's loaded
   * weights): on webgpu they go to the device once, on the first call, instead of once per call.
   */
  paramsFixed?: boolean;
}

export class EvalSessions {
  private readonly sessions = new Map<boolean, Promise<{ session: InferenceSession; eval: EvalGraph }>>();
  private readonly graphs: GraphCaps;
  /** The device holds tensors between runs (host parameters are uploaded for per-batch runs). */
  private readonly deviceTensors: boolean;
  private readonly paramsFixed: boolean;
  private copier?: DeviceCopy;
  /** paramsFixed: the device copy of the host parameters, made once, kept until release(). */
  private kept?: Promise<ort.Tensor[]>;

  /**
   * `params()`: the parameter buffers, one per layout group, as they are now (no copy; device
   * tensors when the training state is resident). `meter` records each run's bytes and seconds.
   */
  constructor(
    private readonly model: TrainableModel,
    private readonly layout: StateLayout,
    private readonly device: Device,
    private readonly threads: number,
    private readonly params: () => ort.Tensor[],
    private readonly meter = new TransferMeter('host', 0),
    opts: EvalSessionsOptions = {},
  ) {
    const caps = capabilitiesOf(device);
    this.graphs = opts.graphs ?? caps.graphs;
    this.deviceTensors = caps.residentState;
    this.paramsFixed = opts.paramsFixed ?? false;
  }

  /**
   * Forward passes on several batches in as few runs as their sizes allow (consecutive batches
   * with equal row counts share a run, padded to the longest and cut back per batch), so the
   * parameters are fed once per run; on webgpu one run per batch (see the top). All batches must
   * agree on having labels.
   */
  async evaluateMany(batches: readonly MicroBatch[]): Promise<EvalResult[]> {
    if (!batches.length) return [];
    const withLabels = 'labels' in batches[0];
    if (batches.some((b) => 'labels' in b !== withLabels))
      throw new FeedError('evaluate: either every batch of a call has labels or none has');
    const { session, eval: ev } = await this.session(withLabels);
    // Rows: dimension 0 of every batch input (checkMicroBatch holds a batch's inputs to one size).
    const rows = batches.map((b, i) => {
      checkMicroBatch(ev.inputs, b, batches.length > 1 ? `evaluate batch ${i}` : 'evaluate');
      return b[ev.inputs[0].name].dims[0];
    });
    const params = await this.paramsForCall(ev, batches.length);
    try {
      const out: EvalResult[] = [];
      for (let start = 0; start < batches.length;) {
        let end = start + 1;
        while (!ev.perBatch && end < batches.length && rows[end] === rows[start]) end++;
        const group = batches.slice(start, end);
        out.push(
          ...(await this.meter.measure('eval', (run) => this.evaluateRun(run, session, ev, group, params.tensors))),
        );
        start = end;
      }
      return out;
    } finally {
      for (const t of params.uploaded) t.dispose();
    }
  }

  /**
   * The parameter tensors for one call: as they are, except host tensors fed to per-batch runs on
   * the device: uploaded once for the sessions' life (paramsFixed), else once for a call of several
   * batches (`uploaded`, freed after the call: a runner's host state may change in place).
   */
  private async paramsForCall(ev: EvalGraph, runs: number) {
    const tensors = this.params();
    const host = ev.perBatch && this.deviceTensors && tensors.some((t) => t.location === 'cpu');
    if (host && this.paramsFixed) {
      this.kept ??= this.upload(tensors);
      return { tensors: await this.kept, uploaded: [] };
    }
    if (!host || runs < 2) return { tensors, uploaded: [] };
    const uploaded = await this.upload(tensors);
    return { tensors: uploaded, uploaded };
  }

  private upload(tensors: readonly ort.Tensor[]): Promise<ort.Tensor[]> {
    this.copier ??= new DeviceCopy(
      this.device,
      this.layout.groups.map((g) => g.shape),
      this.meter,
    );
    return this.copier.toDevice(tensors);
  }

  private async evaluateRun(
    run: Parameters<Parameters<TransferMeter['measure']>[1]>[0],
    session: InferenceSession,
    ev: EvalGraph,
    batches: readonly MicroBatch[],
    params: readonly ort.Tensor[],
  ) {
    const E = batches.length;
    const feeds: Record<string, ort.Tensor> = {};
    const lengths: number[] = [];
    for (const spec of ev.inputs) {
      if (ev.perBatch) {
        const t = batches[0][spec.name];
        feeds[spec.name] = tensor(spec.dtype, t.data, t.dims);
        continue;
      }
      const axis = spec.shape.indexOf(SEQ_DIM);
      const dims = batches.map((b) => b[spec.name].dims);
      const longest = axis < 0 ? 0 : Math.max(...dims.map((d) => d[axis]));
      if (axis >= 0 && !lengths.length) lengths.push(...dims.map((d) => d[axis]));
      const padded = dims[0].map((d, i) => (i === axis ? longest : d));
      feeds[spec.name] = tensor(
        spec.dtype,
        stackPadded(
          batches.map((b) => b[spec.name]),
          padded,
          axis,
        ),
        [E, ...padded],
      );
    }
    if (ev.io.seqLen) feeds[ev.io.seqLen] = tensor('int64', BigInt64Array.from(lengths.map(BigInt)), [E]);
    ev.io.params.forEach((p) => {
      const i = this.layout.groups.indexOf(p.group);
      feeds[p.input] = params[i];
    });
    const r = await run(session, feeds);
    const logits = r[ev.io.logits];
    const [, rows, labels] = logits.dims;
    const all = logits.data as Float32Array;
    const losses = ev.io.loss ? (r[ev.io.loss].data as Float32Array) : undefined;
    return batches.map((_, e) => ({
      logits: all.slice(e * rows * labels, (e + 1) * rows * labels),
      dims: [rows, labels],
      loss: losses ? Number(losses[e]) : undefined,
    }));
  }

  async release(): Promise<void> {
    // A session that failed to open has nothing to release (its error was already thrown).
    for (const p of this.sessions.values()) await (await p.catch(() => undefined))?.session.release();
    this.sessions.clear();
    const kept = await this.kept?.catch(() => undefined);
    this.kept = undefined;
    for (const t of kept ?? []) t.dispose();
    await this.copier?.release();
  }

  private session(withLabels: boolean) {
    let p = this.sessions.get(withLabels);
    if (!p) {
      const ev = evalGraphFor(this.model, this.layout, this.graphs, withLabels);
      p = openSession(ev.graph, { device: this.device, threads: this.threads }).then((session) => ({
        session,
        eval: ev,
      }));
      this.sessions.set(withLabels, p);
    }
    return p;
  }
}

/** The eval graph EvalSessions runs for `graphs`: without Scan (WebGPU) one batch per run. */
export function evalGraphFor(
  model: TrainableModel,
  layout: StateLayout,
  graphs: GraphCaps,
  labels: boolean,
): EvalGraph {
  return buildEvalGraph(model, layout, { labels, legalize: graphs.legalize, perBatch: !graphs.scan });
}

/** Stacks tensors of one input into [E, ...dims], padding the `axis` dim with zeros (cut off again by seq_len). */
function stackPadded(ts: readonly FeedTensor[], dims: number[], axis: number): FeedTensor['data'] {
  const n = dims.reduce((a, b) => a * b, 1);
  const Ctor = ts[0].data.constructor as new (len: number) => FeedTensor['data'];
  const out = new Ctor(n * ts.length);
  const set = (o: FeedTensor['data'], src: FeedTensor['data'], at: number) =>
    (o as unknown as { set(a: FeedTensor['data'], o: number): void }).set(src, at);
  ts.forEach((t, e) => {
    if (axis < 0 || t.dims[axis] === dims[axis]) return set(out, t.data, e * n);
    // Rows of the shorter batch: copy each run of `inner` values into the wider layout.
    const inner = t.dims.slice(axis).reduce((a, b) => a * b, 1);
    const wide = dims.slice(axis).reduce((a, b) => a * b, 1);
    const outer = t.data.length / inner;
    for (let r = 0; r < outer; r++)
      set(out, t.data.subarray(r * inner, (r + 1) * inner) as FeedTensor['data'], e * n + r * wide);
  });
  return out;
}
