// `textclf doctor --json` names the CUDA provider build this machine's GPUs need, with a fake
// nvidia-smi first on PATH answering as real V100/A100/H100 machines do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import type { DoctorReport } from '../../src/runtime/doctor.js';
import { fakeNvidiaSmi } from '../helpers/fake-nvidia-smi.js';

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
