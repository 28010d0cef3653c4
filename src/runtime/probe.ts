// The probe: open a tiny session on a device and run it once. CUDA fails some things only at the
// first kernel launch ("no kernel image is available", out of memory), WebGPU only when Dawn asks
// for an adapter; running a MatMul (cuBLAS / a WebGPU shader) and an Add (a plain kernel) catches
// both before any data is read, and turns them into the same typed error as the static checks.
import { Graph } from '../onnx/graph.js';
import { sessionFor, tensor } from '../onnx/session.js';
import { classifyCudaFailure, executionProviders, type Device, type DeviceProblem } from './device.js';

export type ProbeResult = { ok: true; ms: number } | { ok: false; ms: number; ortMessage: string };

/** y = x·w + x·w for x = [[1,2,3],[4,5,6]], w = I₃ₓ₂ padded: known answer, checked. */
function probeGraph(): Graph {
  const g = new Graph('textclf_probe');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.initializer('w', 'float32', [3, 2], Float32Array.of(1, 0, 0, 1, 0, 0));
  const xw = g.op('MatMul', [x, w]);
  g.output(g.op('Add', [xw, xw]), 'y');
  return g;
}
const EXPECTED = [2, 4, 8, 10];

export async function probeDevice(d: Device): Promise<ProbeResult> {
  const t0 = Date.now();
  try {
    const s = await sessionFor(probeGraph(), { executionProviders: executionProviders(d) });
    try {
      const out = await s.run({ x: tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
      const y = Array.from(out.y.data as Float32Array);
      if (y.some((v, i) => v !== EXPECTED[i]))
        return {
          ok: false,
          ms: Date.now() - t0,
          ortMessage: `wrong result ${JSON.stringify(y)}, expected ${JSON.stringify(EXPECTED)}`,
        };
    } finally {
      await s.release();
    }
    return { ok: true, ms: Date.now() - t0 };
  } catch (e) {
    return { ok: false, ms: Date.now() - t0, ortMessage: (e as Error).message ?? String(e) };
  }
}

/** A failed probe as a problem (same codes as the static preflight). */
export function probeProblem(d: Device, ortMessage: string): DeviceProblem {
  const said = `ONNX Runtime said: "${ortMessage.trim().split('\n')[0]}"`;
  if (d.kind === 'webgpu') {
    const noAdapter = /Failed to get a WebGPU adapter|No supported adapters|adapter/i.test(ortMessage);
    return {
      code: noAdapter ? 'no-adapter' : 'probe-failed',
      device: 'webgpu',
      message: noAdapter
        ? `ONNX Runtime's WebGPU EP found no GPU adapter (${said})`
        : `a one-node session on ONNX Runtime's WebGPU EP failed (${said})`,
      fix: noAdapter
        ? 'a GPU with a Vulkan driver (on Linux; Mesa lavapipe gives a software adapter for tests), or --device cpu'
        : '--device cpu, and report the error',
    };
  }
  const code = classifyCudaFailure(ortMessage);
  const messages: Partial<Record<DeviceProblem['code'], [string, string]>> = {
    'gpu-arch-unsupported': [
      `the first CUDA kernel launch failed: the provider has no kernels for this GPU (${said})`,
      '--device webgpu, or a runner whose GPU the provider supports (textclf doctor lists its architectures)',
    ],
    'out-of-memory': [
      `the GPU is out of memory before training starts (${said})`,
      'free the GPU (nvidia-smi lists its processes), or another GPU with cuda:N, or --device webgpu',
    ],
    'driver-too-old': [
      `the NVIDIA driver is too old for the provider's CUDA runtime (${said})`,
      'update the NVIDIA driver (textclf doctor names the minimum), or --device webgpu',
    ],
    'no-such-gpu': [`that GPU does not exist (${said})`, 'a device id below the GPU count nvidia-smi shows'],
    'no-driver': [`CUDA finds no usable GPU (${said})`, 'a runner with an NVIDIA GPU and driver, or --device webgpu'],
    'library-missing': [
      `the CUDA provider could not load a library (${said})`,
      'run textclf doctor: it names the library and where the loader looked; or --device webgpu',
    ],
  };
  const [message, fix] = messages[code] ?? [
    `a one-node CUDA session failed (${said})`,
    'run textclf doctor, or --device webgpu',
  ];
  return { code, device: 'cuda', message, fix };
}
