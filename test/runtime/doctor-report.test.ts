// `textclf doctor` on a machine built from fixtures: a T4 runner in a container whose CUDA provider
// (ORT >= 1.28: cuDNN opened at run time) finds no cuDNN, and whose NVIDIA driver was mounted
// without the graphics capability, so Vulkan has only Mesa's lavapipe. The report must name both
// causes with their fixes, in JSON and text, and `auto` must not pick the software adapter.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCudaProvider } from '../../src/runtime/cuda-provider.js';
import { formatDoctor, runDoctor } from '../../src/runtime/doctor.js';
import { inspectVulkan } from '../../src/runtime/vulkan.js';
import type { WebgpuAdapter } from '../../src/runtime/webgpu.js';
import { ARCH_LISTS, providerFatbins, writeElf } from './elf-fixture.js';

const lavapipe: WebgpuAdapter = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe',
  description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)',
  isFallbackAdapter: true,
  shaderF16: true,
  features: ['shader-f16'],
  limits: {},
  powerPreference: ['high-performance', 'low-power'],
};

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'doctor-report-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a container with a T4: run-time cuDNN missing and no NVIDIA Vulkan driver, each with its fix; auto refuses lavapipe', async () => {
  const bin = join(root, 'bin');
  const cuda = join(root, 'cuda');
  const lib = join(root, 'lib');
  writeElf(join(bin, 'libonnxruntime_providers_shared.so'), {});
  writeElf(join(bin, 'libonnxruntime_providers_cuda.so'), {
    needed: ['libcublasLt.so.12', 'libcublas.so.12', 'libcudart.so.12', 'libcuda.so.1'],
    runpath: cuda,
    fatbins: providerFatbins(ARCH_LISTS.cuda12),
  });
  for (const l of ['libcublasLt.so.12', 'libcublas.so.12', 'libcudart.so.12', 'libcuda.so.1'])
    writeElf(join(cuda, l), {});
  writeElf(join(lib, 'libvulkan.so.1'), {});
  writeElf(join(lib, 'libvulkan_lvp.so'), {});
  const icd = join(root, 'share/vulkan/icd.d');
  mkdirSync(icd, { recursive: true });
  writeFileSync(join(icd, 'lvp_icd.json'), JSON.stringify({ ICD: { library_path: 'libvulkan_lvp.so' } }));
  const loader = { ldLibraryPath: lib, cache: new Map<string, string>(), systemDirs: [join(root, 'none')] };

  const report = await runDoctor({
    platform: 'linux/x64',
    ortBinDir: () => bin,
    inspectProvider: (dir) => inspectCudaProvider(dir, loader),
    nvidiaSmi: async () => ({
      gpus: [{ index: 0, name: 'Tesla T4', computeCap: '7.5', driver: '550.54.15', memoryMiB: 15360 }],
    }),
    probe: async () => ({ ok: true, ms: 5 }),
    webgpuOrt: async () => ({ ok: true, ms: 7, shaderF16: true, dawn: [] }),
    adapters: async () => ({ adapters: [lavapipe] }),
    vulkan: (nvidiaGpu) =>
      inspectVulkan({
        env: { XDG_DATA_DIRS: join(root, 'share'), XDG_CONFIG_DIRS: join(root, 'etc') },
        home: join(root, 'home'),
        loader,
        nvidiaGpu: nvidiaGpu ?? false,
        container: true,
        machine: 62,
        deviceNodes: ['/dev/nvidia0'],
      }),
  });

  expect(report.cuda.ok).toBe(false);
  if (report.cuda.ok) return;
  expect(report.cuda.problems.map((p) => p.code)).toEqual(['library-missing']);
  expect(report.cuda.provider.cudnnMajor).toBe(9);
  expect(report.cuda.provider.libraries).toContainEqual({
    name: 'libcudnn.so.9',
    path: undefined,
    via: undefined,
    atRunTime: true,
  });
  expect(report.webgpu).toMatchObject({ ok: true, software: true, shaderF16: true });
  expect(report.webgpu.vulkan?.problems.map((p) => p.code)).toEqual(['nvidia-graphics-capability']);
  expect(report.auto.device).toBe('cpu');

  const text = formatDoctor(report);
  expect(text).toContain('  opens    libcudnn.so.9 -> NOT FOUND (at run time)');
  expect(text).toContain(
    "  fix      install cuDNN 9 for CUDA 12 (NVIDIA's apt repository: libcudnn9-cuda-12; or pip's nvidia-cudnn-cu12, its nvidia/cudnn/lib directory on LD_LIBRARY_PATH); or --device webgpu",
  );
  expect(text).toContain(
    '  problem  this container\'s NVIDIA_DRIVER_CAPABILITIES is unset (the NVIDIA container runtime then mounts utility,compute): without "graphics" the runtime mounts no NVIDIA Vulkan driver (nvidia_icd.json, libGLX_nvidia.so.0)\n  fix      start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all)',
  );
  expect(text).toMatch(
    /^ {2}software the adapter is a software one \(it runs on the CPU\): device auto trains on the CPU instead$/m,
  );
  expect(text).toMatch(/^auto {7}cpu: .*to use the GPU: start the container with NVIDIA_DRIVER_CAPABILITIES=/m);
});
