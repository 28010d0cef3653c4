// Scoring with a trained model and no training state: the runner's eval graph and sessions (the
// same graph, the parameters fed as inputs, so predict and evaluate give exactly the logits the
// run's own test evaluation gave), opened without the train-step graph and its optimizer buffers.
import { EvalSessions, type EvalResult } from '../engine/eval-sessions.js';
import type { MicroBatch } from '../engine/feeds.js';
import { StateLayout } from '../engine/state-layout.js';
import type { SequenceClassifier } from '../models/family.js';
import { tensor } from '../onnx/session.js';
import { capabilitiesOf } from '../runtime/capabilities.js';
import { parseDevice, type Device } from '../runtime/device.js';
import type { Evaluator } from './evaluate.js';

export class Scorer implements Evaluator {
  private readonly sessions: EvalSessions;
  readonly device: Device;

  constructor(
    readonly model: SequenceClassifier,
    weights: Map<string, Float32Array>,
    opts: { device?: Device | string; threads?: number } = {},
  ) {
    this.device = typeof opts.device === 'object' ? opts.device : parseDevice(opts.device ?? 'cpu');
    // One buffer per parameter (the per-parameter layout): each is fed as it is, in its own shape
    // (a table over the device's buffer limit in row shards, as training holds it).
    const { graphs } = capabilitiesOf(this.device);
    const layout = StateLayout.plan(model.params, 'per-param', {
      maxBytes: graphs.maxBufferBytes,
      limitSource: graphs.limitSource,
    });
    const buffers = layout.pack(weights, (name) => {
      throw new Error(`scoring: no weights for parameter '${name}'`);
    });
    const params = layout.groups.map((g, i) => tensor('float32', buffers[i], g.shape));
    // Loaded weights never change: on webgpu they go to the device once (EvalSessions' paramsFixed).
    this.sessions = new EvalSessions(model, layout, this.device, opts.threads ?? 0, () => params, undefined, {
      paramsFixed: true,
    });
  }

  /** Logits (and the mean loss when the batch has labels) with the loaded weights. */
  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    return (await this.sessions.evaluateMany([batch]))[0];
  }

  /** Several batches, the parameters fed once per run. */
  evaluateMany(batches: MicroBatch[]): Promise<EvalResult[]> {
    return this.sessions.evaluateMany(batches);
  }

  release(): Promise<void> {
    return this.sessions.release();
  }
}
