// Which device a run gets: run, fall back, refuse, for each request, through prepareDevice with the
// fact sources replaced (provider file, nvidia-smi, probes, adapters) so each decision is exercised
// end to end: the preflight, the probe, the fallback order, the error text.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCudaProvider } from '../../src/runtime/cuda-provider.js';
import { DeviceUnavailableError, type Device } from '../../src/runtime/device.js';
import { prepareDevice, type FactSources } from '../../src/runtime/prepare.js';
import type { GpuQuery } from '../../src/runtime/nvidia-smi.js';
import type { WebgpuAdapter } from '../../src/runtime/webgpu.js';
import { lineLogger } from '../../src/util/logger.js';
import { ARCH_LISTS, providerFatbins, writeElf } from './elf-fixture.js';

const lavapipe: WebgpuAdapter = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
  shaderF16: true,
  features: ['shader-f16'],
  limits: { maxBufferSize: 4294967295 },
  powerPreference: ['high-performance', 'low-power'],
};
const T4: GpuQuery = {
  gpus: [{ index: 0, name: 'Tesla T4', computeCap: '7.5', driver: '550.54.15', memoryMiB: 15360 }],
};
const V100: GpuQuery = {
  gpus: [{ index: 0, name: 'Tesla V100-SXM2-16GB', computeCap: '7.0', driver: '550.54.15', memoryMiB: 16384 }],
};
const NO_KERNEL =
  'CUDA failure 209: no kernel image is available for execution on the device ; GPU=0 ; hostname=runner ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc ; line=129 ; expr=cudaGetLastError(); ';
const NO_ADAPTER =
  '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';

let root: string;
let bin: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'select-'));
  bin = join(root, 'bin');
  const libs = join(root, 'libs');
  writeElf(join(bin, 'libonnxruntime_providers_shared.so'), {});
  // The 1.21-era provider: sm_75, sm_80, sm_90 (no Volta), CUDA 12; its libraries next to it via RUNPATH.
  writeElf(join(bin, 'libonnxruntime_providers_cuda.so'), {
    needed: ['libcudart.so.12', 'libcuda.so.1'],
    runpath: `${libs}`,
    fatbins: providerFatbins(ARCH_LISTS.c121),
  });
  writeElf(join(libs, 'libcudart.so.12'), {});
  writeElf(join(libs, 'libcuda.so.1'), {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface World {
  smi?: GpuQuery;
  cudaProbe?: string; // an ORT error, or undefined for success
  webgpuProbe?: string;
  adapters?: WebgpuAdapter[];
}

/** Fact sources of a machine; `asked` records which were used. */
function machine(w: World, asked: string[] = []): Partial<FactSources> {
  return {
    platform: 'linux/x64',
    ortBinDir: () => bin,
    inspectProvider: (dir) => inspectCudaProvider(dir, { cache: new Map(), systemDirs: [] }),
    nvidiaSmi: async () => {
      asked.push('nvidia-smi');
      return w.smi ?? { error: 'nvidia-smi is not installed, so there is no NVIDIA driver on this machine' };
    },
    probe: async (d: Device) => {
      asked.push(`probe ${d.kind}`);
      const err = d.kind === 'cuda' ? w.cudaProbe : d.kind === 'webgpu' ? w.webgpuProbe : undefined;
      return err ? { ok: false, ms: 1, ortMessage: err } : { ok: true, ms: 1 };
    },
    adapters: async () => {
      asked.push('adapters');
      return { adapters: w.webgpuProbe ? [] : (w.adapters ?? [lavapipe]) };
    },
  };
}

async function decide(device: string, gpus: number, allowCpuFallback: boolean, w: World, asked: string[] = []) {
  const lines: string[] = [];
  const r = await prepareDevice({
    device,
    gpus,
    allowCpuFallback,
    log: lineLogger((l) => lines.push(l)),
    sources: machine(w, asked),
  });
  return { ...r, lines };
}

async function refusal(device: string, gpus: number, w: World): Promise<DeviceUnavailableError> {
  const e = await decide(device, gpus, false, w).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DeviceUnavailableError);
  return e as DeviceUnavailableError;
}

describe('device selection', () => {
  test('cpu, and auto with gpus=0: the CPU, without looking at any GPU', async () => {
    const asked: string[] = [];
    expect((await decide('cpu', 1, false, {}, asked)).device).toEqual({ kind: 'cpu' });
    const auto = await decide('auto', 0, false, {}, asked);
    expect(auto).toMatchObject({ device: { kind: 'cpu' }, reason: 'device auto with gpus=0: the CPU' });
    expect(auto.lines).toEqual(['device auto with gpus=0: the CPU']);
    expect(asked).toEqual([]);
  });

  test('run: auto with gpus=1 on a T4 whose preflight and probe pass trains on CUDA, and says why', async () => {
    const asked: string[] = [];
    const r = await decide('auto', 1, false, { smi: T4 }, asked);
    expect(r.device).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(r.reason).toBe(
      'device auto with gpus=1: cuda:0, Tesla T4 (compute capability 7.5, driver 550.54.15), provider built for CUDA 12 with sm_75 kernels',
    );
    expect(asked).toEqual(['nvidia-smi', 'probe cuda']); // WebGPU is not looked at
  });

  test('fall back: auto on a V100 the provider cannot run picks WebGPU; the reason names both', async () => {
    const r = await decide('auto', 1, false, { smi: V100 });
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.reason).toMatch(
      /^device auto with gpus=1: CUDA cannot run \(GPU 0 \(Tesla V100-SXM2-16GB\) has compute capability 7\.0, but the CUDA provider's kernels are compiled for sm_75, sm_80, sm_90 only .*\); WebGPU adapter mesa llvmpipe: Mesa 25\.0\.7-2~bpo12\+1 \(LLVM 15\.0\.6\) 0\.0\.1 \(software, fallback adapter, shader-f16\)$/,
    );
    expect(r.warnings).toEqual([]);
  });

  test('fall back: a probe failing at the first kernel launch ("no kernel image") counts like the static check', async () => {
    const r = await decide('auto', 1, false, { smi: T4, cudaProbe: NO_KERNEL });
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.facts.cuda?.verdict).toMatchObject({ ok: false, problems: [{ code: 'gpu-arch-unsupported' }] });
  });

  test('refuse: --device cuda on a V100: the GPU, its compute capability, the provider list, --device webgpu', async () => {
    const e = await refusal('cuda', 0, { smi: V100 });
    expect(e.code).toBe('gpu-arch-unsupported');
    expect(e.message).toBe(
      'device cuda:0 cannot run on this machine: GPU 0 (Tesla V100-SXM2-16GB) has compute capability 7.0, but the CUDA provider\'s kernels are compiled for sm_75, sm_80, sm_90 only (no PTX the driver could compile), so every kernel launch would fail with "no kernel image is available for execution on the device". ' +
        'What to do: --device webgpu (any GPU with a Vulkan driver, NVIDIA included), or a runner whose GPU has compute capability 7.5 or a later 7.x, 8.0 or a later 8.x, 9.0 or a later 9.x. ' +
        'This machine has a WebGPU adapter mesa llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 (software, fallback adapter, shader-f16): --device webgpu trains on it. ' +
        'Or set allow_cpu_fallback: true to train on the CPU with a warning.',
    );
  });

  test('fall back with allow_cpu_fallback: --device cuda goes to WebGPU, else to the CPU, with a warning', async () => {
    const gpu = await decide('cuda', 1, true, { smi: V100 });
    expect(gpu.device).toEqual({ kind: 'webgpu' });
    expect(gpu.warnings[0]).toMatch(
      /^device cuda:0: CUDA cannot run .*: training on WebGPU because allow_cpu_fallback is true$/,
    );
    const cpu = await decide('cuda', 1, true, { smi: V100, webgpuProbe: NO_ADAPTER });
    expect(cpu.device).toEqual({ kind: 'cpu' });
    expect(cpu.warnings[0]).toMatch(
      /^device cuda:0: CUDA cannot run \(GPU 0 .*\); WebGPU cannot run either \(ONNX Runtime's WebGPU EP found no GPU adapter .*No supported adapters"\)\); training on the CPU because allow_cpu_fallback is true$/,
    );
    expect(cpu.lines.filter((l) => l.startsWith('warning: '))).toHaveLength(1);
  });

  test('refuse: auto with gpus=1 and no GPU of either kind names both reasons', async () => {
    const e = await refusal('auto', 1, { webgpuProbe: NO_ADAPTER });
    expect(e.code).toBe('no-driver');
    expect(e.message).toMatch(
      /^device auto with gpus=1 needs a GPU, and CUDA cannot run: nvidia-smi is not installed, so there is no NVIDIA driver on this machine\. What to do: .* WebGPU cannot run either: ONNX Runtime's WebGPU EP found no GPU adapter .* Or set allow_cpu_fallback: true/,
    );
  });

  test('webgpu: runs when the probe passes; no adapter refuses, or falls back to the CPU when allowed', async () => {
    const ok = await decide('webgpu', 0, false, {});
    expect(ok.reason).toBe(
      'device webgpu: WebGPU adapter mesa llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 (software, fallback adapter, shader-f16)',
    );
    const e = await refusal('webgpu', 0, { webgpuProbe: NO_ADAPTER });
    expect(e.code).toBe('no-adapter');
    expect(e.message).toMatch(
      /^device webgpu cannot run on this machine: ONNX Runtime's WebGPU EP found no GPU adapter/,
    );
    const cpu = await decide('webgpu', 0, true, { webgpuProbe: NO_ADAPTER });
    expect(cpu.device).toEqual({ kind: 'cpu' });
    expect(cpu.warnings).toHaveLength(1);
  });

  test('cuda:1 on a one-GPU machine: no such GPU, the ids that exist', async () => {
    const e = await refusal('cuda:1', 0, { smi: T4 });
    expect(e.code).toBe('no-such-gpu');
    expect(e.message).toContain(
      'cuda:1 was requested but nvidia-smi lists 1 GPU (0: Tesla T4). What to do: use cuda:0.',
    );
  });
});
