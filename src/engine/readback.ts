// Reads tensors that live on the WebGPU device back into host memory. Their own data accessor
// (`getData()`) aborts the whole process in onnxruntime-node, so this runs a session of Identity
// nodes on the same device whose outputs come back in host memory: ORT does the download.
import type { InferenceSession } from 'onnxruntime-node';
import { Graph } from '../onnx/graph.js';
import type { ort } from '../onnx/session.js';
import type { Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import type { TransferMeter } from './transfers.js';

export class Readback {
  private session?: Promise<InferenceSession>;

  /** `shapes`: the float32 tensors read together, in order (a fixed set, e.g. the training state). */
  constructor(
    private readonly device: Device,
    private readonly shapes: readonly (readonly number[])[],
    private readonly meter: TransferMeter,
  ) {}

  /** Host copies of `tensors` (aligned with `shapes`); host tensors are returned as they are. */
  async read(tensors: readonly ort.Tensor[]): Promise<Float32Array[]> {
    if (tensors.length !== this.shapes.length)
      throw new Error(`internal: reading back ${tensors.length} tensors, the readback takes ${this.shapes.length}`);
    if (tensors.every((t) => t.location === 'cpu')) return tensors.map((t) => t.data as Float32Array);
    const session = await (this.session ??= openSession(identityGraph(this.shapes), { device: this.device }));
    return this.meter.measure('readback', async (run) => {
      const feeds = Object.fromEntries(tensors.map((t, i) => [`in${i}`, t]));
      const out = await run(session, feeds);
      return tensors.map((_, i) => {
        const t = out[`out${i}`];
        if (t.location !== 'cpu')
          throw new Error(`internal: readback output ${i} is in ${t.location}, not host memory`);
        return t.data as Float32Array;
      });
    });
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await (await s.catch(() => undefined))?.release();
  }
}

function identityGraph(shapes: readonly (readonly number[])[]): Graph {
  const g = new Graph('textclf_readback');
  shapes.forEach((shape, i) => g.output(g.op('Identity', [g.input(`in${i}`, 'float32', [...shape])]), `out${i}`));
  return g;
}
