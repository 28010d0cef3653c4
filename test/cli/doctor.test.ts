// `textclf doctor` on this machine (lavapipe, no NVIDIA driver, no CUDA provider), and a CUDA
// training request that must fail fast, before any data is read, with the reason and the fix.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { doctorCommand } from '../../src/cli/doctor.js';
import { main } from '../../src/cli/main.js';
import { parseFlags } from '../../src/config/parse.js';
import type { DoctorReport } from '../../src/runtime/doctor.js';
import { DeviceUnavailableError } from '../../src/runtime/device.js';
import { runTraining } from '../../src/train/run.js';
import { lineLogger } from '../../src/util/logger.js';
import { testWebgpu } from '../helpers/webgpu.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '',
    stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await fn(), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('textclf doctor', () => {
  testWebgpu(
    '--json: the lavapipe adapter works but is software, CUDA is unavailable with its reasons, auto picks the CPU; exit 0',
    async () => {
      const r = await capture(() => main(['doctor', '--json']));
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.stdout) as DoctorReport;
      expect(rep.platform).toBe('linux/x64');
      expect(rep.cpu).toMatchObject({ ok: true });
      expect(rep.cpu.cores).toBeGreaterThan(0);
      expect(rep.webgpu.ok).toBe(true);
      expect(rep.webgpu.adapters[0]).toMatchObject({ vendor: 'mesa', architecture: 'software', shaderF16: true });
      expect(rep.webgpu.adapters[0].description).toMatch(/^llvmpipe/);
      // ONNX Runtime's own float16 session, the adapter ORT gets, and the Vulkan facts below it.
      expect(rep.webgpu).toMatchObject({ shaderF16: true, software: true, dawn: [] });
      expect(rep.webgpu.vulkan?.loader.path).toMatch(/\/libvulkan\.so\.1$/);
      expect(rep.webgpu.vulkan?.drivers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ library: 'libvulkan_lvp.so', kind: 'software', loads: true }),
        ]),
      );
      expect(rep.webgpu.vulkan?.problems).toEqual([]);
      expect(rep.nvidia).toEqual({
        gpus: [],
        error: 'nvidia-smi is not installed, so there is no NVIDIA driver on this machine',
      });
      expect(rep.cuda.ok).toBe(false);
      if (rep.cuda.ok) return;
      expect(rep.cuda.problems.map((p) => p.code)).toEqual(['no-driver', 'provider-missing']);
      expect(rep.cuda.problems[1].message).toMatch(
        /^onnxruntime-node's CUDA provider is not installed \(libonnxruntime_providers_shared\.so and libonnxruntime_providers_cuda\.so missing from .*node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\)$/,
      );
      expect(rep.cuda.provider.present).toBe(false);
      expect(rep.auto.device).toBe('cpu');
      expect(rep.auto.reason).toMatch(
        /^device auto with gpus=1: CUDA cannot run \(nvidia-smi is not installed.*\); WebGPU's only adapter is mesa llvmpipe.*\(software, fallback adapter, shader-f16\), which runs on the CPU about 100x slower than the CPU device: training on the CPU/,
      );
    },
  );

  testWebgpu('text: one line per device, adapter details, the fixes', async () => {
    let text = '';
    expect(await doctorCommand([], (s) => (text += s))).toBe(0);
    expect(text).toMatch(/^platform {3}linux\/x64$/m);
    expect(text).toMatch(/^cpu {8}works: \d+ cores, \d+ usable threads/m);
    expect(text).toMatch(
      /^webgpu {5}works: ONNX Runtime's WebGPU EP ran a test session in \d+ ms and a training step in \d+ ms$/m,
    );
    expect(text).toMatch(/^ {2}float16 {2}yes: ONNX Runtime's WebGPU EP runs float16 here \(--precision 16-mixed\)$/m);
    expect(text).toMatch(/^ {2}vulkan {3}loader {3}libvulkan\.so\.1 -> \S+libvulkan\.so\.1 \(/m);
    expect(text).toMatch(
      /^ {2}vulkan {5}icd {4}\S+lvp_icd\.json -> libvulkan_lvp\.so: \S+ \(ld\.so\.cache\), software$/m,
    );
    expect(text).toMatch(/^ {2}adapter {2}mesa software: llvmpipe: Mesa 25\./m);
    expect(text).toMatch(/^ {11}fallback adapter: yes, shader-f16: yes, maxBufferSize \d+/m);
    expect(text).toMatch(/^cuda {7}unavailable: nvidia-smi is not installed/m);
    expect(text).toMatch(/^ {2}fix {6}a runner with an NVIDIA GPU and its driver, or --device webgpu/m);
    expect(text).toMatch(/^auto {7}cpu: /m);
  });

  test('exit 1 when no device runs; 2 on an unknown argument', async () => {
    const fail = { ok: false as const, ms: 1, ortMessage: 'Failed to get a WebGPU adapter: No supported adapters' };
    let text = '';
    const code = await doctorCommand(['--json'], (s) => (text += s), {
      probe: async () => fail,
      nvidiaSmi: async () => ({ error: 'nvidia-smi is not installed' }),
    });
    expect(code).toBe(1);
    expect(JSON.parse(text)).toMatchObject({ ok: false, cpu: { ok: false }, webgpu: { ok: false } });
    let usage = '';
    expect(await doctorCommand(['--gpu'], (s) => (usage += s))).toBe(2);
    expect(usage).toBe(
      "error: textclf doctor takes only --json, not '--gpu'\nUsage: textclf doctor [--json]   list the devices this machine can train on\n",
    );
  });
});

describe('training on a device this machine does not have', () => {
  const absentData = join(tmpdir(), 'textclf-no-such-datastore', 'train.csv');

  testWebgpu('runTraining with device cuda: DeviceUnavailableError in < 15 s, before data or output dirs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'textclf-dev-')), 'run');
    try {
      const flags = {
        ...parseFlags({ train_file: absentData, output_dir: out, max_epochs: '1' }, 'cli'),
        device: 'cuda',
      };
      const t0 = Date.now();
      const lines: string[] = [];
      const err = await runTraining(flags, { log: lineLogger((l) => lines.push(l)) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(err).toBeInstanceOf(DeviceUnavailableError);
      const e = err as DeviceUnavailableError;
      expect(e.code).toBe('no-driver');
      expect(e.message).toMatch(
        /^device cuda:0 cannot run on this machine: nvidia-smi is not installed, so there is no NVIDIA driver on this machine\. /,
      );
      expect(e.message).toContain("WebGPU's only adapter is mesa llvmpipe");
      expect(e.message).toContain('--device cpu trains faster');
      expect(e.message).toContain('Or pass --allow_cpu_fallback true to train on the CPU with a warning.');
      expect(e.message).toContain("onnxruntime-node's CUDA provider is not installed");
      expect(existsSync(out)).toBe(false); // nothing written, no data read (the train file does not exist)
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  test('textclf train --device cuda: exit 1 in < 15 s naming the reason and --device webgpu', async () => {
    const t0 = Date.now();
    const r = await capture(() => main(['train', '--device', 'cuda', '--train_file', absentData, '--max_epochs', '1']));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: device cuda:0 cannot run on this machine: nvidia-smi is not installed/m);
    expect(r.stderr).toContain('--device webgpu');
    expect(r.stderr).not.toContain('train.csv'); // failed before looking for the data
  });
});
