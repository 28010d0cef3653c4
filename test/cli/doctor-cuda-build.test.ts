// `textclf doctor --json` names the CUDA provider build this machine's GPUs need, with a fake
// nvidia-smi first on PATH answering as real V100/A100/H100 machines do, and the installed build's
// record (why, from where, where it is).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { doctorCommand } from '../../src/cli/doctor.js';
import { main } from '../../src/cli/main.js';
import { writeProviderManifest, type ProviderManifest } from '../../src/runtime/cuda-provider-fetch.js';
import { parseGpuCsv } from '../../src/runtime/nvidia-smi.js';
import type { DoctorReport } from '../../src/runtime/doctor.js';
import { fakeNvidiaSmi } from '../helpers/fake-nvidia-smi.js';
import { providerLibraries } from '../helpers/nuget-source.js';

let root: string;
const savedPath = process.env.PATH;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'doctor-build-'));
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(root, { recursive: true, force: true });
});

async function doctorWith(smiLine: string): Promise<DoctorReport> {
  process.env.PATH = `${fakeNvidiaSmi(join(root, String(Math.random()).slice(2)), [smiLine])}:${savedPath}`;
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await main(['doctor', '--json']);
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env.PATH = savedPath;
  }
  return JSON.parse(stdout) as DoctorReport;
}

test.each([
  [
    'Tesla V100-SXM2-16GB, 7.0, 535.104.05, 16384 MiB',
    '12',
    'Tesla V100-SXM2-16GB (compute capability 7.0, driver 535.104.05) needs the CUDA 12 build: its compute capability 7.0 is below 7.5, the lowest CUDA 13 compiles kernels for, and its driver 535.104.05 is older than 580.65.06, the oldest that runs CUDA 13.',
  ],
  [
    'Tesla V100-SXM2-16GB, 7.0, 580.65.06, 16384 MiB',
    '12',
    'Tesla V100-SXM2-16GB (compute capability 7.0, driver 580.65.06) needs the CUDA 12 build: its compute capability 7.0 is below 7.5, the lowest CUDA 13 compiles kernels for.',
  ],
  [
    'NVIDIA A100-SXM4-40GB, 8.0, 550.54.15, 40960 MiB',
    '12',
    'NVIDIA A100-SXM4-40GB (compute capability 8.0, driver 550.54.15) needs the CUDA 12 build: its driver 550.54.15 is older than 580.65.06, the oldest that runs CUDA 13.',
  ],
  [
    'NVIDIA H100 80GB HBM3, 9.0, 580.65.06, 81559 MiB',
    '13',
    "NVIDIA H100 80GB HBM3 (compute capability 9.0, driver 580.65.06) takes the CUDA 13 build, ONNX Runtime's default: compute capability 7.5 or newer and driver 580.65.06 or newer.",
  ],
])('Must show: nvidia-smi says "%s" -> cuda.build "%s" with the reason', async (line, build, reason) => {
  const r = await doctorWith(line);
  expect(r.nvidia.gpus).toHaveLength(1);
  expect(r.cuda.build).toBe(build);
  expect(r.cuda.buildReason).toBe(reason);
});

test('doctor names the installed provider build, where it came from and where it is, and a build the GPU cannot use', async () => {
  // A provider provisioned for another machine: the CUDA 13 build, here on a V100.
  const pkg = join(root, 'node_modules', 'onnxruntime-node');
  const bin = join(pkg, 'bin', 'napi-v6', 'linux', 'x64');
  mkdirSync(bin, { recursive: true });
  for (const [n, b] of Object.entries(providerLibraries(13))) writeFileSync(join(bin, n), b);
  const manifest: ProviderManifest = {
    build: 13,
    reason: 'The CUDA 13 build, as cuda_build 13 asks; no NVIDIA GPU is visible (nvidia-smi is not installed).',
    version: '1.30.0',
    source: {
      kind: 'nuget',
      index: 'http://127.0.0.1:1/nuget/v3/index.json',
      id: 'Microsoft.ML.OnnxRuntime.Gpu.Linux',
    },
    nupkg: { url: 'http://127.0.0.1:1/x.nupkg', size: 10, sha512: 'c2hh', sourceHash: 'matched' },
    cudaMajor: 13,
    architectures: ['sm_75'],
    missingOnRunner: [],
    provisionedAt: '2026-01-01T00:00:00.000Z',
  };
  writeProviderManifest(bin, manifest);
  let json = '',
    text = '';
  const sources = {
    ortBinDir: () => bin,
    nvidiaSmi: async () => ({ gpus: parseGpuCsv('Tesla V100-SXM2-16GB, 7.0, 580.65.06, 16384 MiB') }),
    probe: async () => ({ ok: true as const, ms: 1 }),
    adapters: async () => ({ adapters: [] }),
  };
  await doctorCommand(['--json'], (s) => (json += s), sources);
  const r = JSON.parse(json) as DoctorReport;
  expect(r.cuda.build).toBe('12');
  expect(r.cuda.installed).toEqual({
    build: '13',
    reason: manifest.reason,
    version: '1.30.0',
    source: 'Microsoft.ML.OnnxRuntime.Gpu.Linux from http://127.0.0.1:1/nuget/v3/index.json',
    cachedAt: pkg,
    sha512: 'c2hh',
  });
  await doctorCommand([], (s) => (text += s), sources);
  expect(text).toContain(
    `  installed CUDA 13 build of onnxruntime-node 1.30.0 from Microsoft.ML.OnnxRuntime.Gpu.Linux from http://127.0.0.1:1/nuget/v3/index.json, in ${pkg} (this machine needs the CUDA 12 build: textclf provision --cuda_build 12)`,
  );
  expect(text).toMatch(
    /^ {2}build {4}CUDA 12: Tesla V100-SXM2-16GB \(compute capability 7\.0, driver 580\.65\.06\) needs/m,
  );
});
