// --precision 16-mixed on the WebGPU device (Mesa's lavapipe here: float16 matmuls really run in
// float16 there, unlike ORT's CPU provider, which computes between our casts in float32), through
// the CLI as users run it: 20 steps track the float32 run within 2e-2 relative per step, saved
// weights are float32 safetensors and the checkpoint holds the loss scaler. Tiny on purpose:
// lavapipe is ~100x slower than the CPU.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/models/safetensors.js';
import { makeTinyCliRun, TINY_RUN, trainTinyCli } from '../helpers/tiny-cli-train.js';
// Every test here needs a WebGPU adapter: skipped (or failed, under CI) without one.
import { testWebgpu as test } from '../helpers/webgpu.js';

/** The bytes of a typed array (its own range, not the whole buffer it views). */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const BATCH = TINY_RUN.batch;
let dir: string;

beforeAll(() => {
  dir = makeTinyCliRun('textclf-webgpu-mixed-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const train = (name: string, extra: string[]) =>
  trainTinyCli(dir, name, { batch: BATCH, maxLength: 12, extra: ['--device', 'webgpu', ...extra] });

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

test('textclf train --device webgpu --precision 16-mixed: 20 steps track --precision 32 within 2e-2; float32 weights, the scaler in the checkpoint', () => {
  const fp32 = train('fp32', ['--max_epochs', '4']);
  // A loss scale that holds for this tiny model's large gradients (the default 2^16 overflows at
  // step 5 here and skips it, which float32 does not: the runs then part ways).
  const fp16 = train('fp16', ['--precision', '16-mixed', '--init_loss_scale', '1024', '--max_epochs', '4']);
  if (fp32.status !== 0 || fp16.status !== 0) throw new Error(`training failed:\n${fp32.stderr}\n${fp16.stderr}`);
  expect(fp16.stderr).toContain('device webgpu');
  expect(fp16.steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(fp16.steps.every((s) => s.loss_scale === 1024 && s.skipped === false)).toBe(true);
  expect(fp32.steps.every((s) => s.loss_scale === undefined)).toBe(true);
  let worstLoss = 0,
    worstNorm = 0;
  fp16.steps.forEach((s, i) => {
    worstLoss = Math.max(worstLoss, rel(s.loss, fp32.steps[i].loss));
    worstNorm = Math.max(worstNorm, rel(s.grad_norm, fp32.steps[i].grad_norm));
  });
  console.log(
    `webgpu 16-mixed vs 32, 20 steps: max relative difference loss ${worstLoss.toExponential(2)}, grad_norm ${worstNorm.toExponential(2)}`,
  );
  expect(worstLoss).toBeLessThan(2e-2);
  // float16 really ran: the runs differ by more than float32 rounding (the webgpu and CPU float32 runs agree to 1e-6).
  expect(worstLoss).toBeGreaterThan(1e-5);
  expect(fp16.steps[19].loss).toBeLessThan(fp16.steps[0].loss);
  const final = join(fp16.out, 'checkpoints', 'final');
  const weights = readSafetensors(join(final, 'model.safetensors')).tensors;
  expect(new Set([...weights.values()].map((t) => t.dtype))).toEqual(new Set(['float32']));
  const state = JSON.parse(readFileSync(join(final, 'trainer_state.json'), 'utf8'));
  expect(state.scaler).toEqual({ scale: 1024, growthTracker: 20, skipped: 0 });
  const metrics = JSON.parse(readFileSync(join(fp16.out, 'metrics.json'), 'utf8'));
  expect(metrics.run.mixedPrecision).toEqual({ precision: '16-mixed', skippedSteps: 0, lossScale: 1024 });
}, 480_000);

test('forced overflow on webgpu (initial scale 2^24): the first epoch is all skipped steps and leaves the weights and moments as they were; the scale comes down, training proceeds; resume restores the scale', () => {
  const sched = [
    '--lr_scheduler',
    'constant_with_warmup',
    '--precision',
    '16-mixed',
    '--init_loss_scale',
    String(2 ** 24),
  ];
  const whole = train('overflow-whole', ['--max_epochs', '4', ...sched]);
  const first = train('overflow-first', ['--max_epochs', '2', ...sched]);
  if (whole.status !== 0 || first.status !== 0) throw new Error(`training failed:\n${whole.stderr}\n${first.stderr}`);
  const skipped = whole.steps.filter((s) => s.skipped).length;
  // float16 tops out at 65504: from 2^24 at least 8 halvings, each a skipped step; the first 5 in a
  // row. Every step ran at 2^24 halved once per skipped step before it (no growth within 2000 steps).
  expect(skipped).toBeGreaterThanOrEqual(8);
  expect(whole.steps.slice(0, 5).every((s) => s.skipped)).toBe(true);
  let before = 0;
  for (const s of whole.steps) {
    expect(s.loss_scale).toBe(2 ** (24 - before));
    if (s.skipped) before++;
  }
  console.log(`forced overflow on webgpu: ${whole.steps.map((s) => (s.skipped ? 'S' : '.')).join('')} (S = skipped)`);
  // Training proceeded: most later steps applied.
  expect(whole.steps.slice(10).filter((s) => !s.skipped).length).toBeGreaterThanOrEqual(5);
  // Epoch 1 was only skipped steps: its checkpoint holds the initial weights bit for bit and zero moments.
  const epoch1 = join(whole.out, 'checkpoints', 'epoch-1');
  const initial = readSafetensors(join(dir, 'tiny', 'model.safetensors')).tensors;
  const saved = readSafetensors(join(epoch1, 'model.safetensors')).tensors;
  let compared = 0;
  for (const [k, t] of initial) {
    if (!saved.has(k)) continue;
    expect([k, bytes(saved.get(k)!.data).equals(bytes(t.data))]).toEqual([k, true]);
    compared++;
  }
  expect(compared).toBeGreaterThan(10);
  for (const [k, t] of readSafetensors(join(epoch1, 'optimizer.safetensors')).tensors)
    expect([k, (t.data as Float32Array).every((v) => v === 0)]).toEqual([k, true]);
  expect(JSON.parse(readFileSync(join(epoch1, 'trainer_state.json'), 'utf8')).scaler).toEqual({
    scale: 2 ** 19,
    growthTracker: 0,
    skipped: 5,
  });
  // Training proceeded, and a run resumed from the 2-epoch checkpoint continues with its scale.
  const epoch4 = whole.steps.slice(15).map((s) => s.loss);
  expect(epoch4.every((l, i) => l !== whole.steps[i].loss)).toBe(true); // same batches, other weights
  const resumed = train('overflow-resumed', [
    '--max_epochs',
    '4',
    '--resume_from',
    join(first.out, 'checkpoints', 'epoch-2'),
    ...sched,
  ]);
  if (resumed.status !== 0) throw new Error(`resume failed:\n${resumed.stderr}`);
  expect(resumed.steps.map((s) => s.step)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
  expect(resumed.steps.map((s) => [s.loss_scale, s.skipped, s.loss])).toEqual(
    whole.steps.slice(10).map((s) => [s.loss_scale, s.skipped, s.loss]),
  );
}, 480_000);

test('--precision bf16-mixed on webgpu fails at once, naming the device and the fix', () => {
  const r = train('bf16', ['--precision', 'bf16']);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('--precision bf16-mixed is not supported on webgpu: WebGPU has no bfloat16 type');
}, 240_000);
