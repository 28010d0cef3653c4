// The probe: open a tiny session on a device and run it once. CUDA fails some things only at the
// first kernel launch ("no kernel image is available", out of memory), WebGPU only when Dawn asks
// for an adapter; running a MatMul (cuBLAS / a WebGPU shader) and an Add (a plain kernel) catches
// both before any data is read, and turns them into the same typed error as the static checks.
import { Graph } from '../onnx/graph.js';
import { sessionFor, tensor } from '../onnx/session.js';
import {
  classifyCudaFailure,
  deviceName,
  executionProviders,
  type Device,
  type DeviceProblem,
  type ProblemCode,
} from './device.js';
import type { HalfType } from './precision.js';

/** Which graphs a probe runs: float32 always, and the run's mixed-precision compute type. */
export interface ProbeOptions {
  compute?: HalfType;
}

export type ProbeResult =
  | { ok: true; ms: number; kind?: 'float32' | HalfType }
  | {
      ok: false;
      ms: number;
      ortMessage: string;
      /** Set when the failure is not ORT's (a wrong or non-finite result); else classified from ortMessage. */
      code?: ProblemCode;
      /** The graph kind that failed. */
      kind?: 'float32' | HalfType;
    };

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

export async function probeDevice(d: Device, _o: ProbeOptions = {}): Promise<ProbeResult> {
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

/** What else is known when a WebGPU probe fails: Dawn's words, and the Vulkan checks' problems. */
export interface WebgpuContext {
  dawn?: string[];
  vulkan?: DeviceProblem[];
}

const NO_ADAPTER = /Failed to get a WebGPU adapter|No supported adapters/i;

/** A failed probe as a problem (same codes as the static preflight), with the fix. */
export function probeProblem(
  d: Device,
  failure: string | { ortMessage: string; code?: ProblemCode; kind?: 'float32' | HalfType },
  ctx: WebgpuContext = {},
): DeviceProblem {
  const f = typeof failure === 'string' ? { ortMessage: failure } : failure;
  const first = f.ortMessage.trim().split('\n')[0];
  const said = `ONNX Runtime said: "${first}"`;
  const graph = f.kind && f.kind !== 'float32' ? ` (the ${f.kind} mixed-precision graph)` : '';
  if (f.code === 'wrong-result')
    return {
      code: 'wrong-result',
      device: d.kind === 'cuda' ? 'cuda' : 'webgpu',
      message: `a training step ran on ${deviceName(d)} but its results are wrong: ${f.ortMessage}`,
      fix: `--device cpu, and report the GPU, its driver and this message`,
    };
  if (d.kind === 'webgpu') {
    if (NO_ADAPTER.test(f.ortMessage)) {
      const [cause] = ctx.vulkan ?? [];
      const dawn = ctx.dawn?.length ? `; Dawn said: ${ctx.dawn.join('; ')}` : '';
      return {
        code: cause?.code ?? 'no-adapter',
        device: 'webgpu',
        message: cause
          ? `ONNX Runtime's WebGPU EP found no GPU adapter: ${cause.message}`
          : `ONNX Runtime's WebGPU EP found no GPU adapter (${said}${dawn})`,
        fix: cause
          ? `${cause.fix}; or --device cpu`
          : 'a GPU with a Vulkan driver (textclf doctor checks the Vulkan loader and drivers), or --device cpu',
      };
    }
    return {
      code: 'probe-failed',
      device: 'webgpu',
      message: `a training step on ONNX Runtime's WebGPU EP failed${graph} (${said})`,
      fix: graph
        ? '--precision 32 on this GPU, or --device cpu; and report the error'
        : '--device cpu, and report the error',
    };
  }
  const code = f.code ?? classifyCudaFailure(f.ortMessage);
  const cudnn = /cudnn/i.test(f.ortMessage);
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
    'library-missing': cudnn
      ? [
          `cuDNN could not be loaded when the training step first needed it (${said})`,
          "install cuDNN 9 for the provider's CUDA major (NVIDIA's apt repository: libcudnn9-cuda-<major>; or pip's nvidia-cudnn-cu<major> with its lib directory on LD_LIBRARY_PATH); textclf doctor shows where the loader looked; or --device webgpu",
        ]
      : [
          `the CUDA provider could not load a library (${said})`,
          'run textclf doctor: it names the library and where the loader looked; or --device webgpu',
        ],
    'cublas-failed': [
      `cuBLAS failed in the training step${graph} (${said})`,
      'check that libcublas and libcublasLt are of the same CUDA version as the provider and that the GPU has free memory (textclf doctor, nvidia-smi), or --device webgpu',
    ],
    'kernel-missing': [
      `the CUDA provider has no kernel for a node of the training step${graph} (${said})`,
      `${graph ? '--precision 32, ' : ''}--device webgpu or --device cpu; and report the error with textclf doctor --json`,
    ],
  };
  const [message, fix] = messages[code] ?? [
    `a training step on CUDA failed${graph} (${said})`,
    'run textclf doctor, or --device webgpu',
  ];
  return { code, device: 'cuda', message, fix };
}
