// Scoring with a trained model and no training state: the runner's eval graph (the same graph,
// parameters fed as inputs, so predict and evaluate give exactly the logits the run's own test
// evaluation gave), opened without the train-step graph and its optimizer buffers.
import type { InferenceSession } from 'onnxruntime-node';
import { buildEvalGraph, type EvalGraph } from '../engine/eval-graph.js';
import { checkMicroBatch, type MicroBatch } from '../engine/feeds.js';
import type { EvalResult } from '../engine/runner.js';
import type { SequenceClassifier } from '../models/family.js';
import { tensor, type ort } from '../onnx/session.js';
import { parseDevice, type Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import type { Evaluator } from './evaluate.js';

export class Scorer implements Evaluator {
  private readonly sessions = new Map<boolean, Promise<{ session: InferenceSession; graph: EvalGraph }>>();
  private readonly params: Record<string, ort.Tensor> = {};
  private readonly threads: number;
  readonly device: Device;

  constructor(
    readonly model: SequenceClassifier,
    weights: Map<string, Float32Array>,
    opts: { device?: Device | string; threads?: number } = {},
  ) {
    this.device = typeof opts.device === 'object' ? opts.device : parseDevice(opts.device ?? 'cpu');
    this.threads = opts.threads ?? 0;
    for (const p of model.params) {
      const w = weights.get(p.name);
      if (!w) throw new Error(`scoring: no weights for parameter '${p.name}'`);
      this.params[p.name] = tensor('float32', w, p.shape);
    }
  }

  /** Logits (and the mean loss when the batch has labels) with the loaded weights. */
  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    const withLabels = 'labels' in batch;
    const { session, graph } = await this.session(withLabels);
    checkMicroBatch(graph.inputs, batch, 'score');
    const feeds: Record<string, ort.Tensor> = { ...this.params };
    for (const s of graph.inputs) feeds[s.name] = tensor(s.dtype, batch[s.name].data, batch[s.name].dims);
    const r = await session.run(feeds);
    return {
      logits: r.logits.data as Float32Array,
      dims: [...r.logits.dims],
      loss: withLabels ? Number((r.loss.data as Float32Array)[0]) : undefined,
    };
  }

  async release(): Promise<void> {
    for (const p of this.sessions.values()) await (await p.catch(() => undefined))?.session.release();
    this.sessions.clear();
  }

  private session(withLabels: boolean) {
    let p = this.sessions.get(withLabels);
    if (!p) {
      const graph = buildEvalGraph(this.model, { labels: withLabels });
      p = openSession(graph.graph, { device: this.device, threads: this.threads }).then((session) => ({
        session,
        graph,
      }));
      this.sessions.set(withLabels, p);
    }
    return p;
  }
}
