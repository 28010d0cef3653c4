// Moves whole sets of tensors between host memory and the WebGPU device with ORT doing the copy:
// a session of Identity nodes on the device, whose outputs come back in host memory (toHost) or
// stay on the device (toDevice). A device tensor's own data accessor (`getData()`) aborts the
// process in onnxruntime-node, and the binding has no upload call, so this is the supported path.
import type { InferenceSession } from 'onnxruntime-node';
import { Graph } from '../onnx/graph.js';
import type { ort } from '../onnx/session.js';
import type { Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import type { RunKind, TransferMeter } from './transfers.js';

export class DeviceCopy {
  private readonly sessions = new Map<'host' | 'device', Promise<InferenceSession>>();

  /** `shapes`: the float32 tensors copied together, in order (a fixed set, e.g. the training state). */
  constructor(
    private readonly device: Device,
    private readonly shapes: readonly (readonly number[])[],
    private readonly meter: TransferMeter,
  ) {}

  /** Host copies of `tensors` (aligned with `shapes`); host tensors are returned as they are. */
  async toHost(tensors: readonly ort.Tensor[]): Promise<Float32Array[]> {
    if (tensors.every((t) => t.location === 'cpu')) return tensors.map((t) => t.data as Float32Array);
    const out = await this.copy('host', 'readback', tensors);
    return out.map((t, i) => {
      if (t.location !== 'cpu') throw new Error(`internal: readback output ${i} is in ${t.location}, not host memory`);
      return t.data as Float32Array;
    });
  }

  /** Device copies of `tensors` (gpu-buffer tensors, the caller's to dispose); the inputs are left as they are. */
  async toDevice(tensors: readonly ort.Tensor[]): Promise<ort.Tensor[]> {
    const out = await this.copy('device', 'upload', tensors);
    out.forEach((t, i) => {
      if (t.location !== 'gpu-buffer')
        throw new Error(`internal: upload output ${i} is in ${t.location}, not on the device`);
    });
    return out;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }

  private async copy(to: 'host' | 'device', kind: RunKind, tensors: readonly ort.Tensor[]): Promise<ort.Tensor[]> {
    if (tensors.length !== this.shapes.length)
      throw new Error(`internal: copying ${tensors.length} tensors, the copy session takes ${this.shapes.length}`);
    let s = this.sessions.get(to);
    if (!s) {
      const outputs = this.shapes.map((_, i) => `out${i}`);
      s = openSession(identityGraph(this.shapes), {
        device: this.device,
        outputsOnDevice: to === 'device' ? outputs : undefined,
      });
      this.sessions.set(to, s);
    }
    const session = await s;
    return this.meter.measure(kind, async (run) => {
      const out = await run(session, Object.fromEntries(tensors.map((t, i) => [`in${i}`, t])));
      return tensors.map((_, i) => out[`out${i}`]);
    });
  }
}

function identityGraph(shapes: readonly (readonly number[])[]): Graph {
  const g = new Graph('textclf_copy');
  shapes.forEach((shape, i) => g.output(g.op('Identity', [g.input(`in${i}`, 'float32', [...shape])]), `out${i}`));
  return g;
}
