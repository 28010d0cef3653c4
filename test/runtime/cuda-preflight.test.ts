// The CUDA preflight on synthetic provider libraries (real ELF files with DT_NEEDED entries and a
// .nv_fatbin section listing chosen architectures), fake CUDA library trees resolved the way ld.so
// would, and nvidia-smi stubs printing what real V100/T4/A100/H100 machines print.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCudaProvider } from '../../src/runtime/cuda-provider.js';
import { preflightCuda, type CudaVerdict } from '../../src/runtime/cuda-preflight.js';
import type { LoaderEnv } from '../../src/runtime/ld-resolve.js';
import { queryNvidiaGpus, type GpuQuery } from '../../src/runtime/nvidia-smi.js';
import { ARCH_LISTS, providerFatbins, writeElf, type FatbinEntrySpec } from './elf-fixture.js';

const SMI = {
  v100: 'Tesla V100-SXM2-16GB, 7.0, 550.54.15, 16384 MiB',
  v100old: 'Tesla V100-SXM2-16GB, 7.0, 520.61.05, 16384 MiB',
  v100min: 'Tesla V100-SXM2-16GB, 7.0, 525.60.13, 16384 MiB',
  t4: 'Tesla T4, 7.5, 550.54.15, 15360 MiB',
  a100: 'NVIDIA A100-SXM4-40GB, 8.0, 580.65.06, 40960 MiB',
  h100_550: 'NVIDIA H100 80GB HBM3, 9.0, 550.54.15, 81559 MiB',
  h100_580: 'NVIDIA H100 80GB HBM3, 9.0, 580.82.07, 81559 MiB',
};

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cuda-preflight-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/**
 * A provider directory: the shared bridge and a CUDA provider linked against `major`. `cudnn:
 * false` is the ORT >= 1.28 provider, which opens cuDNN at run time (no DT_NEEDED entry);
 * `cublas: false` links no cuBLAS either.
 */
function provider(o: {
  major: 12 | 13;
  archs: FatbinEntrySpec[];
  cudnn?: boolean;
  cublas?: boolean;
  runpath?: string;
}): string {
  const bin = join(root, `bin${n++}`);
  writeElf(join(bin, 'libonnxruntime_providers_shared.so'), { needed: ['libc.so.6'] });
  const m = o.major;
  writeElf(join(bin, 'libonnxruntime_providers_cuda.so'), {
    needed: [
      ...(o.cublas === false ? [] : [`libcublasLt.so.${m}`, `libcublas.so.${m}`]),
      'libcurand.so.10',
      `libcufft.so.${m - 1}`,
      `libcudart.so.${m}`,
      ...(o.cudnn === false ? [] : ['libcudnn.so.9']),
      'libcuda.so.1',
      'libstdc++.so.6',
      'libc.so.6',
    ],
    runpath: o.runpath,
    fatbins: providerFatbins(o.archs),
  });
  return bin;
}

/** A CUDA library tree of one major (what the runtime packages install), plus the driver's libcuda. */
function cudaTree(major: 12 | 13, o: { cudnn?: boolean; cudnnNeeds?: string[] } = {}): string {
  const dir = join(root, `cuda${major}-${n++}`);
  writeElf(join(dir, `libcudart.so.${major}`), { needed: ['libc.so.6'] });
  writeElf(join(dir, `libcublasLt.so.${major}`), { needed: ['libc.so.6'] });
  writeElf(join(dir, `libcublas.so.${major}`), { needed: [`libcublasLt.so.${major}`, 'libc.so.6'] });
  writeElf(join(dir, 'libcurand.so.10'), {});
  writeElf(join(dir, `libcufft.so.${major - 1}`), {});
  if (o.cudnn !== false) {
    writeElf(join(dir, 'libcudnn.so.9'), { needed: o.cudnnNeeds ?? [] });
    // cuDNN 9 opens these itself for the calls ORT makes.
    for (const sub of ['libcudnn_graph.so.9', 'libcudnn_ops.so.9'])
      if (!o.cudnnNeeds?.includes(sub)) writeElf(join(dir, sub), {});
  }
  return dir;
}

function driverDir(): string {
  const dir = join(root, `driver${n++}`);
  writeElf(join(dir, 'libcuda.so.1'), {});
  return dir;
}

function env(dirs: string[], extra: Partial<LoaderEnv> = {}): LoaderEnv {
  return { ldLibraryPath: dirs.join(':'), cache: new Map(), systemDirs: [join(root, 'no-system-dir')], ...extra };
}

async function smi(...lines: string[]): Promise<GpuQuery> {
  const stub = join(root, `nvidia-smi-${n++}`);
  // Answers only the exact query the tool makes, like the real binary would for that query.
  writeFileSync(
    stub,
    `#!/bin/sh\n[ "$1" = "--query-gpu=name,compute_cap,driver_version,memory.total" ] && [ "$2" = "--format=csv,noheader" ] || exit 9\nprintf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}\n`,
  );
  chmodSync(stub, 0o755);
  return queryNvidiaGpus(stub);
}

function codes(v: CudaVerdict): string[] {
  return v.ok ? [] : v.problems.map((p) => p.code);
}

async function check(o: {
  major: 12 | 13;
  archs: FatbinEntrySpec[];
  gpu: string;
  libs?: string[];
  cudnn?: boolean;
  env?: Partial<LoaderEnv>;
}): Promise<CudaVerdict> {
  const bin = provider({ major: o.major, archs: o.archs });
  const dirs = o.libs ?? [cudaTree(o.major, { cudnn: o.cudnn }), driverDir()];
  const info = inspectCudaProvider(bin, env(dirs, o.env));
  return preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(o.gpu) });
}

describe('CUDA preflight: GPU architecture against the provider fatbin', () => {
  test('run: a V100 (7.0) with a CUDA 12.8 provider that carries sm_70', async () => {
    const v = await check({ major: 12, archs: ARCH_LISTS.cuda12, gpu: SMI.v100 });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.image).toEqual({ kind: 'elf', sm: 70, archSpecific: false });
    expect(v.summary).toBe(
      'Tesla V100-SXM2-16GB (compute capability 7.0, driver 550.54.15), provider built for CUDA 12 with sm_70 kernels',
    );
  });

  test('refuse: a V100 with the 1.21-era provider (sm_75, sm_80, sm_90): named GPU, list and fix', async () => {
    const v = await check({ major: 12, archs: ARCH_LISTS.c121, gpu: SMI.v100 });
    expect(codes(v)).toEqual(['gpu-arch-unsupported']);
    if (v.ok) return;
    expect(v.problems[0].message).toBe(
      'GPU 0 (Tesla V100-SXM2-16GB) has compute capability 7.0, but the CUDA provider\'s kernels are compiled for sm_75, sm_80, sm_90 only (no PTX the driver could compile), so every kernel launch would fail with "no kernel image is available for execution on the device"',
    );
    expect(v.problems[0].fix).toBe(
      '--device webgpu (any GPU with a Vulkan driver, NVIDIA included), or a runner whose GPU has compute capability 7.5 or a later 7.x, 8.0 or a later 8.x, 9.0 or a later 9.x',
    );
  });

  test('run: T4 (7.5), A100 (8.0), H100 (9.0) on that same provider, each on its own cubin', async () => {
    for (const [gpu, sm] of [
      [SMI.t4, 75],
      [SMI.a100, 80],
      [SMI.h100_550, 90],
    ] as const) {
      const v = await check({ major: 12, archs: ARCH_LISTS.c121, gpu });
      expect(v.ok && v.image?.sm).toBe(sm);
    }
  });

  test('CUDA 13 provider (no Volta): V100 refused, A100 runs sm_80, H100 runs sm_90a', async () => {
    const v100 = await check({ major: 13, archs: ARCH_LISTS.cuda13, gpu: SMI.v100.replace('550.54.15', '580.65.06') });
    expect(codes(v100)).toEqual(['gpu-arch-unsupported']);
    if (!v100.ok)
      expect(v100.problems[0].message).toContain('compiled for sm_75, sm_80, sm_86, sm_89, sm_90a, sm_120a only');
    const a100 = await check({ major: 13, archs: ARCH_LISTS.cuda13, gpu: SMI.a100 });
    expect(a100.ok && a100.image).toEqual({ kind: 'elf', sm: 80, archSpecific: false });
    const h100 = await check({ major: 13, archs: ARCH_LISTS.cuda13, gpu: SMI.h100_580 });
    expect(h100.ok && h100.image).toEqual({ kind: 'elf', sm: 90, archSpecific: true });
  });

  test('PTX lets the driver compile for a newer GPU; an "a" cubin runs on its exact version only', async () => {
    const ptx: FatbinEntrySpec[] = [
      { kind: 'elf', sm: 80 },
      { kind: 'ptx', sm: 70 },
    ];
    const v100 = await check({ major: 12, archs: ptx, gpu: SMI.v100 });
    expect(v100.ok && v100.image).toEqual({ kind: 'ptx', sm: 70, archSpecific: false });
    // sm_90a only: a 9.0 GPU runs it, nothing else of major 9 or 10 would.
    const h100 = await check({ major: 12, archs: [{ kind: 'elf', sm: 90, archSpecific: true }], gpu: SMI.h100_550 });
    expect(h100.ok).toBe(true);
  });
});

describe('CUDA preflight: libraries resolved as the loader would', () => {
  test('CUDA 13 provider on a machine with CUDA 12 libraries: names each missing library and the 12 it has', async () => {
    const twelve = cudaTree(12);
    const cache = new Map([
      ['libcudart.so.12', join(twelve, 'libcudart.so.12')],
      ['libcublas.so.12', join(twelve, 'libcublas.so.12')],
      ['libcublasLt.so.12', join(twelve, 'libcublasLt.so.12')],
      ['libcufft.so.11', join(twelve, 'libcufft.so.11')],
      ['libcurand.so.10', join(twelve, 'libcurand.so.10')],
      ['libcudnn.so.9', join(twelve, 'libcudnn.so.9')],
    ]);
    const drv = driverDir();
    const v = await check({ major: 13, archs: ARCH_LISTS.cuda13, gpu: SMI.h100_580, libs: [drv], env: { cache } });
    expect(codes(v)).toEqual(['library-missing']);
    if (v.ok) return;
    const msg = v.problems[0].message;
    expect(msg).toMatch(
      /^the CUDA provider needs libcublasLt\.so\.13 \(this machine has libcublasLt\.so\.12, but the provider is linked against libcublasLt\.so\.13\), libcublas\.so\.13 \(/,
    );
    expect(msg).toContain(
      'libcudart.so.13 (this machine has libcudart.so.12, but the provider is linked against libcudart.so.13)',
    );
    expect(msg).toContain('libcufft.so.12 (this machine has libcufft.so.11');
    expect(msg).not.toContain('libcurand'); // found through the cache
    expect(msg).toContain(`searched ${drv}, /etc/ld.so.cache, ${join(root, 'no-system-dir')})`);
    expect(v.problems[0].fix).toContain('install the CUDA 13 runtime (cuda-cudart-13-<minor>');
  });

  test('missing cuDNN: named, with the package to install', async () => {
    const v = await check({ major: 12, archs: ARCH_LISTS.cuda12, gpu: SMI.t4, cudnn: false });
    expect(codes(v)).toEqual(['library-missing']);
    if (v.ok) return;
    expect(v.problems[0].message).toMatch(
      /^the CUDA provider needs libcudnn\.so\.9, which the dynamic loader cannot find/,
    );
    expect(v.problems[0].fix).toMatch(
      /^install cuDNN 9 for CUDA 12 \(NVIDIA's apt repository: libcudnn9-cuda-12; or pip's nvidia-cudnn-cu12, its nvidia\/cudnn\/lib directory on LD_LIBRARY_PATH\); or --device webgpu/,
    );
  });

  test('cuDNN only under /usr/local/cuda/lib64: not searched by default, and the fix says so', async () => {
    const localCuda = join(root, 'usr-local-cuda-lib64');
    writeElf(join(localCuda, 'libcudnn.so.9'), {});
    const v = await check({
      major: 12,
      archs: ARCH_LISTS.cuda12,
      gpu: SMI.t4,
      cudnn: false,
      env: { installDirs: [localCuda] },
    });
    expect(codes(v)).toEqual(['library-missing']);
    if (v.ok) return;
    expect(v.problems[0].message).toContain(
      `libcudnn.so.9 (it exists at ${localCuda}/libcudnn.so.9, a directory the loader does not search by default)`,
    );
    expect(v.problems[0].fix).toMatch(new RegExp(`^add ${localCuda} to LD_LIBRARY_PATH`));
  });

  test('ORT >= 1.28 (cuDNN opened at run time): a missing libcudnn.so.9 is found before any run, with the package for the CUDA major', async () => {
    for (const major of [12, 13] as const) {
      const bin = provider({ major, archs: ARCH_LISTS.cuda13, cudnn: false });
      const tree = cudaTree(major, { cudnn: false });
      const drv = driverDir();
      const info = inspectCudaProvider(bin, env([tree, drv]));
      expect(info.needed.map((l) => l.name)).not.toContain('libcudnn.so.9');
      // libcudnn.so.9, then the unversioned name ORT's loader tries next: neither is here.
      expect(info.lazy?.map((l) => [l.name, l.path])).toEqual([['libcudnn.so.9', undefined]]);
      expect(info.cudnnMajor).toBe(9);
      const v = preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.h100_580) });
      expect(codes(v)).toEqual(['library-missing']);
      if (v.ok) continue;
      expect(v.problems[0].message).toBe(
        `the CUDA provider needs libcudnn.so.9 (opened at run time, not a link-time dependency), which the dynamic loader cannot find (searched ${tree}, ${drv}, /etc/ld.so.cache, ${join(root, 'no-system-dir')})`,
      );
      expect(v.problems[0].fix).toMatch(
        new RegExp(
          `^install cuDNN 9 for CUDA ${major} \\(NVIDIA's apt repository: libcudnn9-cuda-${major}; or pip's nvidia-cudnn-cu${major},`,
        ),
      );
    }
  });

  test('run-time cuDNN found through the provider RUNPATH (as pip wheels lay it out), with its sub-libraries', async () => {
    const wheel = cudaTree(12); // stands for site-packages/nvidia/*/lib
    // The wheel's libcudnn.so.9 finds its sub-libraries next to itself through RUNPATH $ORIGIN.
    writeElf(join(wheel, 'libcudnn.so.9'), { runpath: '$ORIGIN' });
    const bin = provider({ major: 12, archs: ARCH_LISTS.cuda12, cudnn: false, runpath: wheel });
    const info = inspectCudaProvider(bin, env([driverDir()]));
    expect(info.lazy?.map((l) => [l.name, l.path, l.via])).toEqual([
      ['libcudnn.so.9', join(wheel, 'libcudnn.so.9'), 'DT_RUNPATH'],
      ['libcudnn_graph.so.9', join(wheel, 'libcudnn_graph.so.9'), 'DT_RUNPATH'],
      ['libcudnn_ops.so.9', join(wheel, 'libcudnn_ops.so.9'), 'DT_RUNPATH'],
    ]);
    const v = preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.t4) });
    expect(v.ok).toBe(true);
  });

  test("cuDNN's own run-time sub-library missing (a partial copy): named, with the cuDNN package", async () => {
    const tree = cudaTree(12);
    rmSync(join(tree, 'libcudnn_ops.so.9'));
    const bin = provider({ major: 12, archs: ARCH_LISTS.cuda12, cudnn: false });
    const v = preflightCuda({
      platform: 'linux/x64',
      provider: inspectCudaProvider(bin, env([tree, driverDir()])),
      smi: await smi(SMI.t4),
    });
    expect(codes(v)).toEqual(['library-missing']);
    if (v.ok) return;
    expect(v.problems[0].message).toMatch(
      /^the CUDA provider needs libcudnn_ops\.so\.9 \(opened at run time, not a link-time dependency\), which/,
    );
    expect(v.problems[0].fix).toMatch(/^install cuDNN 9 for CUDA 12 /);
  });

  test("only the unversioned libcudnn.so: ORT's loader falls back to it, and so does the check", async () => {
    const tree = cudaTree(12, { cudnn: false });
    writeElf(join(tree, 'libcudnn.so'), {});
    for (const sub of ['libcudnn_graph.so.9', 'libcudnn_ops.so.9']) writeElf(join(tree, sub), {});
    const bin = provider({ major: 12, archs: ARCH_LISTS.cuda12, cudnn: false });
    const info = inspectCudaProvider(bin, env([tree, driverDir()]));
    expect(info.lazy?.[0]).toMatchObject({ name: 'libcudnn.so', path: join(tree, 'libcudnn.so') });
    expect(preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.t4) }).ok).toBe(true);
  });

  test('cuBLAS/cuBLASLt not linked: resolved as run-time libraries of the CUDA major', async () => {
    const tree = cudaTree(13);
    rmSync(join(tree, 'libcublasLt.so.13'));
    const bin = provider({ major: 13, archs: ARCH_LISTS.cuda13, cublas: false });
    const info = inspectCudaProvider(bin, env([tree, driverDir()]));
    expect(info.lazy?.map((l) => [l.name, !!l.path])).toEqual([
      ['libcublasLt.so.13', false],
      ['libcublas.so.13', true],
      ['libcudnn_graph.so.9', true],
      ['libcudnn_ops.so.9', true],
    ]);
    const v = preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.h100_580) });
    expect(!v.ok && v.problems[0].message).toMatch(/^the CUDA provider needs libcublasLt\.so\.13 \(opened at run time/);
    expect(!v.ok && v.problems[0].fix).toMatch(/^install cuBLAS for CUDA 13 \(libcublas-13-<minor>\)/);
  });

  test("a library's own needs count: cuDNN linked against a missing sub-library", async () => {
    const bin = provider({ major: 12, archs: ARCH_LISTS.cuda12 });
    const info = inspectCudaProvider(bin, env([cudaTree(12, { cudnnNeeds: ['libcudnn_graph.so.9'] }), driverDir()]));
    expect(info.indirect.map((l) => [l.name, !!l.path])).toEqual([['libcudnn_graph.so.9', false]]);
    const v = preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.t4) });
    expect(!v.ok && v.problems[0].message).toMatch(/^the CUDA provider needs libcudnn_graph\.so\.9,/);
  });
});

describe('CUDA preflight: driver, GPUs, platform', () => {
  test('old driver: 520 cannot run a CUDA 12 provider (minimum 525.60.13); exactly 525.60.13 can', async () => {
    const v = await check({ major: 12, archs: ARCH_LISTS.cuda12, gpu: SMI.v100old });
    expect(codes(v)).toEqual(['driver-too-old']);
    if (!v.ok) {
      expect(v.problems[0].message).toBe(
        'the NVIDIA driver 520.61.05 is older than 525.60.13, the oldest that runs CUDA 12 (the provider links libcudart.so.12)',
      );
      expect(v.problems[0].fix).toMatch(/^update the NVIDIA driver to 525\.60\.13 or newer, or --device webgpu/);
    }
    expect((await check({ major: 12, archs: ARCH_LISTS.cuda12, gpu: SMI.v100min })).ok).toBe(true);
  });

  test('driver 550 with a CUDA 13 provider on an H100: too old (580.65.06)', async () => {
    const v = await check({ major: 13, archs: ARCH_LISTS.cuda13, gpu: SMI.h100_550 });
    expect(codes(v)).toEqual(['driver-too-old']);
  });

  test('no nvidia-smi, a driver without compute_cap, a GPU index past the end, a Mac', async () => {
    const bin = provider({ major: 12, archs: ARCH_LISTS.cuda12 });
    const info = inspectCudaProvider(bin, env([cudaTree(12), driverDir()]));
    const none = preflightCuda({
      platform: 'linux/x64',
      provider: info,
      smi: await queryNvidiaGpus(join(root, 'absent')),
    });
    expect(!none.ok && none.problems[0]).toMatchObject({
      code: 'no-driver',
      message: 'nvidia-smi is not installed, so there is no NVIDIA driver on this machine',
    });
    // What a pre-510 driver's nvidia-smi says to this query (exit 2).
    const old = join(root, 'nvidia-smi-old');
    writeFileSync(old, `#!/bin/sh\necho 'Field "compute_cap" is not a valid field to query.'\nexit 2\n`);
    chmodSync(old, 0o755);
    const oldSmi = await queryNvidiaGpus(old);
    expect(oldSmi).toEqual({ error: 'nvidia-smi failed: Field "compute_cap" is not a valid field to query.' });
    const two = preflightCuda({ platform: 'linux/x64', provider: info, smi: await smi(SMI.t4, SMI.a100) }, 2);
    expect(!two.ok && two.problems[0]).toMatchObject({
      code: 'no-such-gpu',
      message: 'cuda:2 was requested but nvidia-smi lists 2 GPUs (0: Tesla T4, 1: NVIDIA A100-SXM4-40GB)',
      fix: 'use cuda:0 to cuda:1',
    });
    expect(codes(preflightCuda({ platform: 'darwin/arm64', provider: info, smi: await smi(SMI.t4) }))).toEqual([
      'platform',
    ]);
  });

  test('provider not installed: named with the directory and the install command', () => {
    const info = inspectCudaProvider(join(root, 'empty-bin'), env([]));
    const v = preflightCuda({ platform: 'linux/x64', provider: info, smi: { gpus: [] } });
    expect(codes(v)).toEqual(['no-driver', 'provider-missing']);
    if (!v.ok)
      expect(v.problems[1].message).toBe(
        `onnxruntime-node's CUDA provider is not installed (libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so missing from ${join(root, 'empty-bin')})`,
      );
  });
});
