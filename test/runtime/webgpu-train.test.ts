// Training on the WebGPU device (Mesa's lavapipe here, any Vulkan GPU on a runner), through the CLI
// as users run it: 20 steps equal the CPU device's within 1e-4 (loss and grad_norm, clipping on),
// and a checkpoint written on WebGPU resumes on the CPU to the same weights as a run that never
// stopped. Tiny on purpose: lavapipe is ~100x slower than the CPU.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/models/safetensors.js';
import { makeTinyCliRun, TINY_RUN, trainTinyCli, type LoggedStep } from '../helpers/tiny-cli-train.js';
// Every test here needs a WebGPU adapter: skipped (or failed, under CI) without one.
import { testWebgpu as test } from '../helpers/webgpu.js';

const BATCH = TINY_RUN.batch;
let dir: string;

beforeAll(() => {
  dir = makeTinyCliRun('textclf-webgpu-train-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(
  name: string,
  device: string,
  extra: string[] = [],
): { steps: LoggedStep[]; out: string; stderr: string } {
  const r = trainTinyCli(dir, name, { batch: BATCH, maxLength: 12, extra: ['--device', device, ...extra] });
  if (r.status !== 0)
    throw new Error(`textclf train --device ${device} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return r;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function finalWeights(out: string): Map<string, Float32Array> {
  const t = readSafetensors(join(out, 'checkpoints', 'final', 'model.safetensors')).tensors;
  return new Map([...t].map(([k, v]) => [k, v.data as Float32Array]));
}

test('textclf train --device webgpu: 20 steps equal --device cpu within 1e-4 (loss and grad_norm, clipping active)', () => {
  const cpu = train('cpu-20', 'cpu', ['--max_epochs', '4']);
  const gpu = train('webgpu-20', 'webgpu', ['--max_epochs', '4']);
  expect(gpu.stderr).toContain('device webgpu');
  expect(gpu.steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  let worstLoss = 0,
    worstNorm = 0;
  gpu.steps.forEach((s, i) => {
    worstLoss = Math.max(worstLoss, rel(s.loss, cpu.steps[i].loss));
    worstNorm = Math.max(worstNorm, rel(s.grad_norm, cpu.steps[i].grad_norm));
  });
  console.log(
    `webgpu vs cpu, 20 steps: max relative difference loss ${worstLoss.toExponential(2)}, grad_norm ${worstNorm.toExponential(2)}`,
  );
  expect(worstLoss).toBeLessThan(1e-4);
  expect(worstNorm).toBeLessThan(1e-4);
  // clipping was active (the norm above max_grad_norm) and the model learned
  expect(cpu.steps.some((s) => s.grad_norm > 0.5)).toBe(true);
  expect(cpu.steps[19].loss).toBeLessThan(cpu.steps[0].loss);
  const json = JSON.parse(readFileSync(join(gpu.out, 'metrics.json'), 'utf8'));
  expect(json.run.device).toBe('webgpu');

  // Copies vs compute in metrics.json: on webgpu the state stays on the device (after the first
  // run only batches and scalars go up, a loss and a grad norm come back); on cpu it crosses host
  // memory both ways every run.
  const tg = json.run.transfers;
  const tc = JSON.parse(readFileSync(join(cpu.out, 'metrics.json'), 'utf8')).run.transfers;
  expect([tg.state, tc.state]).toEqual(['device', 'host']);
  expect(tg.stateBytes).toBe(tc.stateBytes);
  expect(tg.stateBytes).toBeGreaterThan(50_000);
  for (const t of [tg, tc]) {
    expect(t.train.runs).toBeGreaterThanOrEqual(1);
    for (const k of ['uploadBytes', 'downloadBytes', 'hostSeconds', 'runSeconds'])
      expect({ [k]: t.train.perRun[k] > 0 }).toEqual({ [k]: true });
  }
  const line = (n: string, t: typeof tg) =>
    `${n}: ${t.train.runs} runs, per run ${Math.round(t.train.perRun.uploadBytes)} B up, ${Math.round(t.train.perRun.downloadBytes)} B down, ${(t.train.perRun.hostSeconds * 1e3).toFixed(2)} ms outside session.run, ${(t.train.perRun.runSeconds * 1e3).toFixed(1)} ms inside`;
  console.log(`state ${tg.stateBytes} B; ${line('webgpu (resident)', tg)}; ${line('cpu', tc)}`);
  expect(tg.train.runs).toBe(20); // one run per step on the resident path
  expect(tg.train.downloadBytes).toBe(20 * 8);
  const batchBytes = BATCH * 12 * 8 * 3 + BATCH * 8 + 4 + 4 + 8 + 8; // ids, mask, types; labels; lr and step (float32 on webgpu); seq_len; step_index
  expect(tg.train.uploadBytes).toBe(tg.stateBytes + 20 * batchBytes);
  expect(tg.train.perRun.uploadBytes).toBeLessThan(tg.stateBytes / 10);
  expect(tc.train.perRun.uploadBytes).toBeGreaterThan(tc.stateBytes);
  expect(tc.train.perRun.downloadBytes).toBeGreaterThan(tc.stateBytes);
  // Checkpoints (4 epochs + final) read the device state back, one state copy each.
  expect(tg.readback.runs).toBeGreaterThanOrEqual(5);
  expect(tg.readback.downloadBytes).toBe(tg.readback.runs * tg.stateBytes);
  expect(tc.readback).toBeUndefined();
  const report = readFileSync(join(gpu.out, 'report.md'), 'utf8');
  expect(report).toContain('stays on the device between calls: only batches and scalars are uploaded');
}, 480_000);

test('--accumulate_grad_batches 2 on webgpu (micro-batches unrolled in the step) equals the cpu device (a Scan) within 1e-4', () => {
  // 5 batches an epoch: 2 optimizer steps of 2 micro-batches each (the fifth is left over).
  const extra = ['--max_epochs', '4', '--accumulate_grad_batches', '2'];
  const cpu = train('cpu-acc2', 'cpu', extra);
  const gpu = train('webgpu-acc2', 'webgpu', extra);
  expect(gpu.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(cpu.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  gpu.steps.forEach((s, i) => {
    expect({ step: s.step, loss: rel(s.loss, cpu.steps[i].loss) < 1e-4 }).toEqual({ step: s.step, loss: true });
    expect({ step: s.step, norm: rel(s.grad_norm, cpu.steps[i].grad_norm) < 1e-4 }).toEqual({
      step: s.step,
      norm: true,
    });
  });
  expect(cpu.steps[7].loss).toBeLessThan(cpu.steps[0].loss);
}, 480_000);

test('a checkpoint written on webgpu resumes on cpu and continues the run it came from', () => {
  // A constant schedule (after warmup), so the first half of a 4-epoch run and a 2-epoch run share their lrs.
  const sched = ['--lr_scheduler', 'constant_with_warmup'];
  const whole = train('webgpu-whole', 'webgpu', ['--max_epochs', '4', ...sched]);
  const first = train('webgpu-first', 'webgpu', ['--max_epochs', '2', ...sched]);
  const resumed = train('cpu-resumed', 'cpu', [
    '--max_epochs',
    '4',
    '--resume_from',
    join(first.out, 'checkpoints', 'epoch-2'),
    ...sched,
  ]);
  expect(first.steps.map((s) => s.loss)).toEqual(whole.steps.slice(0, 10).map((s) => s.loss)); // same device: identical
  expect(resumed.steps.map((s) => s.step)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11)); // its own log: steps 11-20
  let worstLoss = 0;
  resumed.steps.forEach((s, i) => (worstLoss = Math.max(worstLoss, rel(s.loss, whole.steps[10 + i].loss))));
  const a = finalWeights(whole.out);
  const b = finalWeights(resumed.out);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  // Attention key biases are left out: their gradient is exactly zero in exact arithmetic (softmax
  // ignores a shift shared by all keys of a query), so what they get is rounding noise, which AdamW
  // normalises into full-size steps that differ from device to device.
  let worst = 0;
  for (const [k, v] of a) {
    if (k.endsWith('attention.self.key.bias')) continue;
    const w = b.get(k)!;
    for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - w[i]));
  }
  console.log(
    `webgpu checkpoint resumed on cpu vs the uninterrupted webgpu run: losses of steps 11-20 within ${worstLoss.toExponential(2)} (relative), final weights within ${worst.toExponential(2)}`,
  );
  expect(worstLoss).toBeLessThan(1e-5);
  expect(worst).toBeLessThan(1e-6);
}, 480_000);
