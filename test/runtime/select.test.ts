// Which device a run gets: run, fall back, refuse, for each request, through prepareDevice with the
// fact sources replaced (provider file, nvidia-smi, ONNX Runtime's WebGPU EP, adapters, Vulkan, the
// training-step probe) so each decision is exercised end to end: the preflight, the probe, the
// fallback order, software adapters, precision, the error text.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCudaProvider } from '../../src/runtime/cuda-provider.js';
import { DeviceUnavailableError, type Device } from '../../src/runtime/device.js';
import { prepareDevice, type FactSources } from '../../src/runtime/prepare.js';
import { PrecisionError, type HalfType } from '../../src/runtime/precision.js';
import type { ProbeOptions } from '../../src/runtime/probe.js';
import type { VulkanReport } from '../../src/runtime/vulkan.js';
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
/** A V100 through NVIDIA's Vulkan driver, as Dawn reports it (shader-f16 hidden without ORT's toggle). */
const v100Vulkan: WebgpuAdapter = {
  vendor: 'nvidia',
  architecture: 'volta',
  device: '0x1db1',
  description: 'NVIDIA: 580.65.06 580.65.6.0',
  isFallbackAdapter: false,
  shaderF16: false,
  features: [],
  limits: { maxBufferSize: 4294967296 },
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
    needed: ['libcudart.so.12', 'libcuda.so.1', 'libcudnn.so.9'],
    runpath: `${libs}`,
    fatbins: providerFatbins(ARCH_LISTS.c121),
  });
  // cuBLAS is not linked: the preflight finds it as a run-time library through the RUNPATH.
  for (const l of [
    'libcudart.so.12',
    'libcuda.so.1',
    'libcublas.so.12',
    'libcublasLt.so.12',
    'libcudnn.so.9',
    'libcudnn_graph.so.9',
    'libcudnn_ops.so.9',
  ])
    // cuDNN finds its sub-libraries next to itself (RUNPATH $ORIGIN, as in NVIDIA's wheels).
    writeElf(join(libs, l), l === 'libcudnn.so.9' ? { runpath: '$ORIGIN' } : {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface World {
  smi?: GpuQuery;
  /** ORT errors of the training-step probe, per device kind (undefined: it passes). */
  cudaProbe?: string;
  webgpuStep?: string;
  /** ONNX Runtime's WebGPU EP in its child process: an error, or it works. */
  webgpuProbe?: string;
  /** Its float16 answer (default true). */
  shaderF16?: boolean;
  adapters?: WebgpuAdapter[];
  adapterError?: string;
  vulkan?: Partial<VulkanReport>;
}

/** Fact sources of a machine; `asked` records which were used, and with what. */
function machine(w: World, asked: string[] = []): Partial<FactSources> {
  return {
    platform: 'linux/x64',
    ortBinDir: () => bin,
    inspectProvider: (dir) => inspectCudaProvider(dir, { cache: new Map(), systemDirs: [] }),
    nvidiaSmi: async () => {
      asked.push('nvidia-smi');
      return w.smi ?? { error: 'nvidia-smi is not installed, so there is no NVIDIA driver on this machine' };
    },
    probe: async (d: Device, o?: ProbeOptions) => {
      asked.push(`probe ${d.kind}${o?.compute ? ` ${o.compute}` : ''}`);
      const err = d.kind === 'cuda' ? w.cudaProbe : d.kind === 'webgpu' ? w.webgpuStep : undefined;
      return err ? { ok: false, ms: 1, ortMessage: err } : { ok: true, ms: 1 };
    },
    webgpuOrt: async () => {
      asked.push('webgpu-ort');
      return w.webgpuProbe
        ? { ok: false, ms: 1, ortMessage: w.webgpuProbe, dawn: ['the Vulkan loader found no driver (ICD)'] }
        : { ok: true, ms: 1, shaderF16: w.shaderF16 ?? true, dawn: [] };
    },
    adapters: async () => {
      asked.push('adapters');
      if (w.adapterError) return { error: w.adapterError };
      return { adapters: w.webgpuProbe ? [] : (w.adapters ?? [lavapipe]) };
    },
    vulkan: () =>
      w.vulkan
        ? ({
            loader: { name: 'libvulkan.so.1', path: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', searched: [] },
            search: { from: 'default', paths: [] },
            drivers: [],
            deviceNodes: [],
            softwareOnly: false,
            nvidiaGpu: false,
            container: false,
            ...w.vulkan,
          } as VulkanReport)
        : undefined,
  };
}

async function decide(
  device: string,
  gpus: number,
  allowCpuFallback: boolean,
  w: World,
  asked: string[] = [],
  more: { compute?: HalfType; flagStyle?: 'cli' | 'action' } = {},
) {
  const lines: string[] = [];
  const r = await prepareDevice({
    device,
    gpus,
    allowCpuFallback,
    log: lineLogger((l) => lines.push(l)),
    sources: machine(w, asked),
    precision: { compute: more.compute },
    flagStyle: more.flagStyle,
  });
  return { ...r, lines };
}

async function refusal(
  device: string,
  gpus: number,
  w: World,
  flagStyle?: 'cli' | 'action',
): Promise<DeviceUnavailableError> {
  const e = await decide(device, gpus, false, w, [], { flagStyle }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DeviceUnavailableError);
  return e as DeviceUnavailableError;
}

const V100_VULKAN_LINE = 'WebGPU adapter nvidia NVIDIA: 580.65.06 580.65.6.0 (volta, no shader-f16)';

describe('device selection', () => {
  test('cpu, and auto with gpus=0: the CPU, without looking at any GPU', async () => {
    const asked: string[] = [];
    expect((await decide('cpu', 1, false, {}, asked)).device).toEqual({ kind: 'cpu' });
    const auto = await decide('auto', 0, false, {}, asked);
    expect(auto).toMatchObject({ device: { kind: 'cpu' }, reason: 'device auto with gpus=0: the CPU' });
    expect(auto.lines).toEqual(['device auto with gpus=0: the CPU']);
    expect(asked).toEqual([]);
  });

  test('run: auto with gpus=1 on a T4 whose preflight and training-step probe pass trains on CUDA, and says why', async () => {
    const asked: string[] = [];
    const r = await decide('auto', 1, false, { smi: T4 }, asked, { compute: 'bfloat16' });
    expect(r.device).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(r.reason).toBe(
      'device auto with gpus=1: cuda:0, Tesla T4 (compute capability 7.5, driver 550.54.15), provider built for CUDA 12 with sm_75 kernels',
    );
    // WebGPU is not looked at; the probe runs the run's precision.
    expect(asked).toEqual(['nvidia-smi', 'probe cuda bfloat16']);
  });

  test('fall back: auto on a V100 the provider cannot run picks WebGPU on its Vulkan driver; the reason names both', async () => {
    const asked: string[] = [];
    const r = await decide('auto', 1, false, { smi: V100, adapters: [v100Vulkan] }, asked);
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.reason).toMatch(
      /^device auto with gpus=1: CUDA cannot run \(GPU 0 \(Tesla V100-SXM2-16GB\) has compute capability 7\.0, but the CUDA provider's kernels are compiled for sm_75, sm_80, sm_90 only .*\); WebGPU adapter nvidia NVIDIA: 580\.65\.06 580\.65\.6\.0 \(volta, no shader-f16\)$/,
    );
    expect(r.warnings).toEqual([]);
    // The static checks decided against CUDA: only WebGPU, the device chosen, ran the training step.
    expect(asked).toEqual(['nvidia-smi', 'webgpu-ort', 'adapters', 'probe webgpu']);
  });

  test('fall back: a training step failing at the first kernel launch ("no kernel image") counts like the static check', async () => {
    const asked: string[] = [];
    const r = await decide('auto', 1, false, { smi: T4, cudaProbe: NO_KERNEL, adapters: [v100Vulkan] }, asked);
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.facts.cuda?.verdict).toMatchObject({ ok: false, problems: [{ code: 'gpu-arch-unsupported' }] });
    expect(asked).toEqual(['nvidia-smi', 'probe cuda', 'webgpu-ort', 'adapters', 'probe webgpu']);
  });

  test('refuse: --device cuda on a V100: the GPU, its compute capability, the provider list, --device webgpu, the CLI flag', async () => {
    const e = await refusal('cuda', 0, { smi: V100, adapters: [v100Vulkan] });
    expect(e.code).toBe('gpu-arch-unsupported');
    expect(e.message).toBe(
      'device cuda:0 cannot run on this machine: GPU 0 (Tesla V100-SXM2-16GB) has compute capability 7.0, but the CUDA provider\'s kernels are compiled for sm_75, sm_80, sm_90 only (no PTX the driver could compile), so every kernel launch would fail with "no kernel image is available for execution on the device". ' +
        'What to do: --device webgpu (any GPU with a Vulkan driver, NVIDIA included), or a runner whose GPU has compute capability 7.5 or a later 7.x, 8.0 or a later 8.x, 9.0 or a later 9.x. ' +
        `This machine has a ${V100_VULKAN_LINE}: --device webgpu trains on it. ` +
        'Or pass --allow_cpu_fallback true to train on the CPU with a warning.',
    );
    // The action spells its input its own way.
    const a = await refusal('cuda', 0, { smi: V100, adapters: [v100Vulkan] }, 'action');
    expect(a.message).toMatch(/ Or set allow_cpu_fallback: true to train on the CPU with a warning\.$/);
  });

  test('fall back with allow_cpu_fallback: --device cuda goes to WebGPU, else to the CPU, with a warning', async () => {
    const gpu = await decide('cuda', 1, true, { smi: V100, adapters: [v100Vulkan] });
    expect(gpu.device).toEqual({ kind: 'webgpu' });
    expect(gpu.warnings[0]).toMatch(
      /^device cuda:0: CUDA cannot run .*: training on WebGPU because allow_cpu_fallback is true$/,
    );
    const cpu = await decide('cuda', 1, true, { smi: V100, webgpuProbe: NO_ADAPTER });
    expect(cpu.device).toEqual({ kind: 'cpu' });
    expect(cpu.warnings[0]).toMatch(
      /^device cuda:0: CUDA cannot run \(GPU 0 .*\); WebGPU cannot run either \(ONNX Runtime's WebGPU EP found no GPU adapter .*No supported adapters"; Dawn said: the Vulkan loader found no driver \(ICD\)\)\); training on the CPU because allow_cpu_fallback is true$/,
    );
    expect(cpu.lines.filter((l) => l.startsWith('warning: '))).toHaveLength(1);
  });

  test('refuse: auto with gpus=1 and no GPU of either kind names both reasons and the flag', async () => {
    const e = await refusal('auto', 1, { webgpuProbe: NO_ADAPTER });
    expect(e.code).toBe('no-driver');
    expect(e.message).toMatch(
      /^device auto with gpus=1 needs a GPU, and CUDA cannot run: nvidia-smi is not installed, so there is no NVIDIA driver on this machine\. What to do: .* WebGPU cannot run either: ONNX Runtime's WebGPU EP found no GPU adapter .* Or pass --allow_cpu_fallback true/,
    );
  });

  test('no adapter, and the Vulkan checks know why: the error says it in those words, with the fix', async () => {
    const e = await refusal('webgpu', 0, {
      webgpuProbe: NO_ADAPTER,
      vulkan: { loader: { name: 'libvulkan.so.1', searched: ['/usr/lib/x86_64-linux-gnu'] } },
    });
    expect(e.code).toBe('vulkan-missing');
    expect(e.message).toBe(
      "device webgpu cannot run on this machine: ONNX Runtime's WebGPU EP found no GPU adapter: the Vulkan loader libvulkan.so.1, which WebGPU (Dawn) opens, is not where the dynamic loader looks (searched /usr/lib/x86_64-linux-gnu). " +
        'What to do: install libvulkan1 (Debian/Ubuntu; vulkan-loader on Fedora/RHEL); or --device cpu. Or pass --allow_cpu_fallback true to train on the CPU with a warning.',
    );
  });

  test('webgpu: runs on a hardware adapter; no adapter refuses, or falls back to the CPU when allowed', async () => {
    const ok = await decide('webgpu', 0, false, { adapters: [v100Vulkan] });
    expect(ok.reason).toBe(`device webgpu: ${V100_VULKAN_LINE}`);
    expect(ok.warnings).toEqual([]);
    const e = await refusal('webgpu', 0, { webgpuProbe: NO_ADAPTER });
    expect(e.code).toBe('no-adapter');
    expect(e.message).toMatch(
      /^device webgpu cannot run on this machine: ONNX Runtime's WebGPU EP found no GPU adapter/,
    );
    const cpu = await decide('webgpu', 0, true, { webgpuProbe: NO_ADAPTER });
    expect(cpu.device).toEqual({ kind: 'cpu' });
    expect(cpu.warnings).toHaveLength(1);
  });

  test('a training step that fails on the WebGPU chosen: typed, and the CPU with allow_cpu_fallback', async () => {
    const step =
      "Non-zero status code returned while running ScatterND node. Name:'ScatterND_2' Status Message: raw_hash_map<>::at";
    const asked: string[] = [];
    const e = await decide('webgpu', 0, false, { adapters: [v100Vulkan], webgpuStep: step }, asked, {
      compute: 'float16',
    }).then(
      () => undefined,
      (x: unknown) => x as DeviceUnavailableError,
    );
    expect(e?.code).toBe('probe-failed');
    expect(e?.message).toBe(
      `device webgpu cannot run on this machine: a training step on ONNX Runtime's WebGPU EP failed (ONNX Runtime said: "${step}"). What to do: --device cpu, and report the error. Or pass --allow_cpu_fallback true to train on the CPU with a warning.`,
    );
    expect(asked).toEqual(['webgpu-ort', 'adapters', 'probe webgpu float16']);
    const cpu = await decide('webgpu', 0, true, { adapters: [v100Vulkan], webgpuStep: step });
    expect(cpu.device).toEqual({ kind: 'cpu' });
  });

  test('cuda:1 on a one-GPU machine: no such GPU, the ids that exist', async () => {
    const e = await refusal('cuda:1', 0, { smi: T4 });
    expect(e.code).toBe('no-such-gpu');
    expect(e.message).toContain(
      'cuda:1 was requested but nvidia-smi lists 1 GPU (0: Tesla T4). What to do: use cuda:0.',
    );
  });
});

describe('software adapters (lavapipe, SwiftShader) are never picked by auto', () => {
  test('--gpus 1 with only lavapipe trains on the CPU and says why (no allow_cpu_fallback needed); no WebGPU training step runs', async () => {
    const asked: string[] = [];
    const r = await decide('auto', 1, false, {}, asked);
    expect(r.device).toEqual({ kind: 'cpu' });
    const why =
      "device auto with gpus=1: CUDA cannot run (nvidia-smi is not installed, so there is no NVIDIA driver on this machine); WebGPU's only adapter is mesa llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 (software, fallback adapter, shader-f16), which runs on the CPU about 100x slower than the CPU device: training on the CPU; --device webgpu would use that adapter anyway";
    expect(r.reason).toBe(why);
    expect(r.lines).toEqual([why, `warning: ${why}`]);
    expect(asked).toEqual(['nvidia-smi', 'webgpu-ort', 'adapters']);
  });

  test('an NVIDIA GPU whose Vulkan driver is missing: the software-adapter warning says what would give the GPU', async () => {
    const r = await decide('auto', 1, false, {
      smi: V100,
      vulkan: { nvidiaGpu: true, drivers: [], search: { from: 'default', paths: ['/usr/share/vulkan/icd.d'] } },
    });
    expect(r.device).toEqual({ kind: 'cpu' });
    expect(r.warnings[0]).toContain(
      "(this machine has an NVIDIA GPU but no NVIDIA Vulkan driver: no driver manifest in /usr/share/vulkan/icd.d names libGLX_nvidia.so.0; to use the GPU: install NVIDIA's full driver with its Vulkan driver (nvidia_icd.json -> libGLX_nvidia.so.0)",
    );
  });

  test('--device cuda with allow_cpu_fallback: the CPU, not the software adapter', async () => {
    const r = await decide('cuda', 1, true, { smi: V100 });
    expect(r.device).toEqual({ kind: 'cpu' });
    expect(r.warnings[0]).toMatch(
      /; WebGPU's only adapter is mesa llvmpipe.*: training on the CPU \(allow_cpu_fallback is true\);/,
    );
  });

  test('--device webgpu uses it, with a warning; without the webgpu package the Vulkan drivers tell software apart', async () => {
    const r = await decide('webgpu', 0, false, {});
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.warnings).toEqual([
      "device webgpu: WebGPU's only adapter is mesa llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1 (software, fallback adapter, shader-f16), which runs on the CPU about 100x slower than the CPU device; --device cpu trains faster",
    ]);
    const noPackage = { adapterError: 'adapter details need the optional `webgpu` package' };
    const soft = await decide('auto', 1, false, { ...noPackage, vulkan: { softwareOnly: true } });
    expect(soft.device).toEqual({ kind: 'cpu' });
    expect(soft.reason).toContain(
      "WebGPU's only adapter is a software one (this machine has no GPU device node for a Vulkan driver: /dev/dri/renderD*, /dev/nvidia*)",
    );
    const hard = await decide('auto', 1, false, { ...noPackage, vulkan: { softwareOnly: false } });
    expect(hard.device).toEqual({ kind: 'webgpu' });
  });
});

describe('mixed precision: ONNX Runtime decides shader-f16', () => {
  test("16-mixed on WebGPU follows ORT's float16 session, not Dawn's adapter features", async () => {
    // Dawn's package hides shader-f16 on NVIDIA (no vulkan_enable_f16_on_nvidia); ORT sets that toggle.
    const asked: string[] = [];
    const r = await decide('webgpu', 0, false, { adapters: [v100Vulkan], shaderF16: true }, asked, {
      compute: 'float16',
    });
    expect(r.device).toEqual({ kind: 'webgpu' });
    expect(r.facts.webgpu?.shaderF16).toBe(true);
    expect(asked).toContain('probe webgpu float16');
    // ORT's float16 session failed: refused before the probe, with the precision's own message.
    const none: string[] = [];
    const e = await decide('webgpu', 0, false, { adapters: [v100Vulkan], shaderF16: false }, none, {
      compute: 'float16',
    }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PrecisionError);
    expect((e as Error).message).toMatch(/^--precision 16-mixed needs the WebGPU adapter's shader-f16 feature/);
    expect(none).not.toContain('probe webgpu float16');
  });
});
