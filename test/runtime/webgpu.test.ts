// WebGPU on this machine's software adapter (Mesa lavapipe, installed by .ci/run): Dawn lists the
// adapter, ONNX Runtime's WebGPU EP opens a real session and runs a graph, and a train step on
// webgpu gives the CPU's losses. lavapipe is ~100x slower than the CPU EP: tiny graphs only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runner } from '../../src/engine/runner.js';
import { probeTrainingStep } from '../../src/engine/probe-step.js';
import { probeDevice } from '../../src/runtime/probe.js';
import { probeWebgpuOrt } from '../../src/runtime/webgpu-probe.js';
import { describeAdapter, queryWebgpuAdapters, webgpuModule } from '../../src/runtime/webgpu.js';
import { Mlp } from '../helpers/mlp.js';
import { describeWebgpu } from '../helpers/webgpu.js';

describeWebgpu('WebGPU on lavapipe', () => {
  test('Dawn lists the lavapipe adapter: vendor, architecture, description, shader-f16, limits', async () => {
    expect(webgpuModule()).toMatch(/node_modules\/webgpu\/index\.js$/);
    const q = await queryWebgpuAdapters();
    expect(q.error).toBeUndefined();
    expect(q.adapters).toHaveLength(1); // both power preferences return the one adapter
    const a = q.adapters![0];
    expect(a).toMatchObject({
      vendor: 'mesa',
      architecture: 'software',
      isFallbackAdapter: true,
      shaderF16: true,
      powerPreference: ['high-performance', 'low-power'],
    });
    expect(a.description).toMatch(/^llvmpipe: Mesa 25\./);
    expect(a.features).toContain('shader-f16');
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    expect(describeAdapter(a)).toMatch(/^mesa llvmpipe: Mesa 25\..* \(software, fallback adapter, shader-f16\)$/);
  });

  test("ONNX Runtime's WebGPU EP opens a session and computes the probe graph's known answer", async () => {
    const r = await probeDevice({ kind: 'webgpu' });
    expect(r).toMatchObject({ ok: true });
  });

  test("ORT's WebGPU EP in a child process: float32 and float16 (shader-f16, ORT's own answer) run; no driver: Dawn's words", async () => {
    const ok = await probeWebgpuOrt();
    expect(ok).toMatchObject({ ok: true, shaderF16: true, dawn: [] });
    const none = await probeWebgpuOrt({
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    });
    expect(none.ok).toBe(false);
    expect(none.shaderF16).toBeUndefined();
    expect(none.ortMessage).toMatch(/Failed to get a WebGPU adapter: No supported adapters/);
    expect(none.dawn).toEqual([
      'the Vulkan loader could not open the driver manifest /nonexistent/icd.json',
      'the Vulkan loader found no driver (ICD)',
    ]);
  });

  test('a WebGPU child that hangs ends within its timeout with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-hang-'));
    try {
      const hang = join(dir, 'ort.mjs');
      writeFileSync(
        hang,
        'export const InferenceSession = { create: () => new Promise(() => setInterval(() => {}, 1000)) };\n',
      );
      const t0 = Date.now();
      const r = await probeWebgpuOrt({ module: hang, timeoutMs: 1500 });
      expect(r).toMatchObject({ ok: false, ortMessage: "ONNX Runtime's WebGPU EP did not answer within 1.5 s" });
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the training-step probe passes on lavapipe in float32 and float16', async () => {
    expect(await probeTrainingStep({ kind: 'webgpu' }, { compute: 'float16' })).toMatchObject({
      ok: true,
      kind: 'float16',
    });
  });

  test('the probe really uses the adapter: with no Vulkan driver visible it fails with ORT\'s "no adapter" error', () => {
    // A fresh process (Dawn picks its adapter once per process), Vulkan's loader pointed at no driver.
    const script = `import { probeDevice } from ${JSON.stringify(new URL('../../src/runtime/probe.ts', import.meta.url).pathname)};
      console.log(JSON.stringify(await probeDevice({ kind: 'webgpu' })));`;
    const run = (env: NodeJS.ProcessEnv) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: '', ...env },
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      ) as { ok: boolean; ortMessage?: string };
    expect(run({}).ok).toBe(true);
    const none = run({ VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    expect(none.ok).toBe(false);
    expect(none.ortMessage).toMatch(/Failed to get a WebGPU adapter: No supported adapters/);
  });

  test('a train step on webgpu gives the CPU losses (3 SGD steps of a tiny MLP)', async () => {
    const model = new Mlp([4, 8, 3]);
    const init = model.init();
    const batch = {
      x: { data: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1)), dims: [2, 4] },
      labels: { data: BigInt64Array.of(0n, 2n), dims: [2] },
    };
    const losses: number[][] = [];
    for (const device of ['cpu', 'webgpu'] as const) {
      const r = await Runner.create(model, { params: init, optimizer: { kind: 'sgd' }, device });
      expect(r.deviceName).toBe(device);
      const l: number[] = [];
      for (let s = 0; s < 3; s++) l.push((await r.step([batch], [0.5])).losses[0]);
      await r.release();
      losses.push(l);
    }
    expect(losses[1][2]).toBeLessThan(losses[1][0]); // it learns
    for (let s = 0; s < 3; s++) expect(Math.abs(losses[1][s] - losses[0][s]) / losses[0][s]).toBeLessThan(1e-5);
  });

  test('Dawn that hangs or cannot load: an error string within the timeout, not a hung doctor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dawn-'));
    try {
      const hang = join(dir, 'hang.mjs');
      writeFileSync(
        hang,
        'export const create = () => ({ requestAdapter: () => new Promise(() => setInterval(() => {}, 1000)) });\n',
      );
      const t0 = Date.now();
      expect(await queryWebgpuAdapters({ module: hang, timeoutMs: 1500 })).toEqual({
        error: 'Dawn did not list adapters within 1.5 s',
      });
      expect(Date.now() - t0).toBeLessThan(5000);
      const broken = join(dir, 'broken.mjs');
      writeFileSync(broken, "throw new Error('libvulkan.so.1: cannot open shared object file');\n");
      expect(await queryWebgpuAdapters({ module: broken })).toEqual({
        error: 'Dawn could not list adapters: Error: libvulkan.so.1: cannot open shared object file',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
