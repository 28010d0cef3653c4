// On the WebGPU device (Mesa's lavapipe here) nothing runs in a Scan: accumulate_grad_batches = 2
// trains with the micro-batches unrolled in the one-step graph, and evaluation runs one batch per
// run fed the resident parameter tensors. Both equal the CPU device (whose graphs keep their
// Scans): 20 steps of loss and grad_norm within 1e-5 relative, then eval logits and losses within
// 1e-5; host parameters go to the device once per call (a Scorer's: once), not once per batch. A tiny BERT: lavapipe is ~100x slower than the CPU EP.
import { tmpdir } from 'node:os';
import { EvalSessions } from '../../src/engine/eval-sessions.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { Runner } from '../../src/engine/runner.js';
import { StateLayout } from '../../src/engine/state-layout.js';
import { TransferMeter } from '../../src/engine/transfers.js';
import { initWeights } from '../../src/models/weights.js';
import { tensor } from '../../src/onnx/session.js';
import { tinyBatches, tinyTaskModel } from '../helpers/tiny-task-model.js';
import { describeWebgpu } from '../helpers/webgpu.js';

process.env.XDG_RUNTIME_DIR ??= tmpdir();

const STEPS = 20;
const A = 2;
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const model = tinyTaskModel('bert', { dropout: 0 });

async function trainAndEval(device: 'cpu' | 'webgpu') {
  const runner = await Runner.create(model, {
    device,
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    maxGradNorm: 0.5,
    accumulate: A,
    params: initWeights(model, 3),
  });
  const batches = tinyBatches(model, { count: STEPS * A, rows: 4, seq: 8, seed: 5 });
  const losses: number[] = [];
  const norms: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const r = await runner.step(batches.slice(i * A, (i + 1) * A), [(2e-3 * Math.min(i, 3)) / 3]);
    losses.push(...r.losses);
    norms.push(...r.gradNorms);
  }
  const evalBatches: MicroBatch[] = [
    batches[0],
    tinyBatches(model, { count: 1, rows: 4, seq: 6, seed: 6 })[0],
    tinyBatches(model, { count: 1, rows: 3, seq: 7, seed: 7 })[0],
  ];
  const ev = await runner.evaluateMany(evalBatches);
  const predicted = await runner.evaluateMany(evalBatches.map(({ labels: _, ...rest }) => rest as MicroBatch));
  const transfers = runner.transferSummary;
  await runner.release();
  return { losses, norms, ev, predicted, transfers, runner };
}

describeWebgpu('webgpu without Scan: accumulation and evaluation equal the CPU device', () => {
  test('accumulate_grad_batches = 2 for 20 steps, then eval and predict on batches of three shapes', async () => {
    const cpu = await trainAndEval('cpu');
    const gpu = await trainAndEval('webgpu');
    expect(gpu.runner.resident).toBe(true);
    expect(gpu.runner.stepGraph.loop).toBe(false);
    expect(cpu.runner.stepGraph.loop).toBe(true);
    const lossErr = Math.max(...gpu.losses.map((l, i) => relErr(l, cpu.losses[i])));
    const normErr = Math.max(...gpu.norms.map((l, i) => relErr(l, cpu.norms[i])));
    const logitErr = Math.max(
      ...gpu.ev.flatMap((e, i) => Array.from(e.logits, (v, j) => Math.abs(v - cpu.ev[i].logits[j]))),
    );
    console.log(
      `A = ${A}, ${STEPS} steps: max relative difference loss ${lossErr.toExponential(2)}, grad_norm ${normErr.toExponential(2)}; eval logits max abs ${logitErr.toExponential(2)}`,
    );
    expect(lossErr).toBeLessThan(1e-5);
    expect(normErr).toBeLessThan(1e-5);
    expect(Math.max(...cpu.norms)).toBeGreaterThan(0.5); // clipping engaged
    expect(relErr(cpu.ev[0].loss!, cpu.losses[0])).toBeGreaterThan(1e-3); // the steps moved the weights
    expect(logitErr).toBeLessThanOrEqual(1e-5);
    gpu.ev.forEach((e, i) => {
      expect(e.dims).toEqual(cpu.ev[i].dims);
      expect(relErr(e.loss!, cpu.ev[i].loss!)).toBeLessThan(1e-5);
    });
    gpu.predicted.forEach((e, i) => {
      expect(e.loss).toBeUndefined();
      expect(Array.from(e.logits)).toEqual(Array.from(gpu.ev[i].logits));
    });
    // One run per batch, fed the device-resident parameters: only tokens and labels go up.
    const t = gpu.transfers;
    expect(t.eval!.runs).toBe(6);
    const paramBytes = t.stateBytes / 3; // parameters, exp_avg, exp_avg_sq
    expect(t.eval!.uploadBytes).toBeLessThan(paramBytes / 4);
    expect(t.upload).toBeUndefined(); // the state was on the device already: no upload run
  }, 300_000);

  test("host parameters go up once per call of several batches (fixed ones, a Scorer's, once), and score as on the cpu", async () => {
    const layout = StateLayout.plan(model.params, 'per-param');
    const buffers = layout.pack(initWeights(model, 4), () => undefined);
    const params = layout.groups.map((g, i) => tensor('float32', buffers[i], g.shape));
    const meter = new TransferMeter('host', 0);
    const gpu = new EvalSessions(model, layout, { kind: 'webgpu' }, 1, () => params, meter);
    const cpu = new EvalSessions(model, layout, { kind: 'cpu' }, 1, () => params);
    const batches = [
      ...tinyBatches(model, { count: 2, rows: 4, seq: 8, seed: 8 }),
      ...tinyBatches(model, { count: 1, rows: 2, seq: 5, seed: 9 }),
    ];
    const [g, c] = [await gpu.evaluateMany(batches), await cpu.evaluateMany(batches)];
    const paramBytes = 4 * buffers.reduce((a, b) => a + b.length, 0);
    let t = meter.summary();
    expect(t.upload).toMatchObject({ runs: 1, uploadBytes: paramBytes });
    expect(t.eval).toMatchObject({ runs: 3 });
    expect(t.eval!.uploadBytes).toBeLessThan(paramBytes / 4);
    g.forEach((e, i) => {
      e.logits.forEach((v, j) => expect(Math.abs(v - c[i].logits[j])).toBeLessThanOrEqual(1e-5));
      expect(relErr(e.loss!, c[i].loss!)).toBeLessThan(1e-5);
    });
    // A second call uploads again (a runner's host state may have changed in place); one batch is
    // fed the host tensors directly (the same one copy, without an upload run).
    await gpu.evaluateMany(batches.slice(0, 2));
    await gpu.evaluateMany(batches.slice(2));
    t = meter.summary();
    expect(t.upload!.runs).toBe(2);
    expect(t.eval!.runs).toBe(6);
    expect(t.eval!.uploadBytes).toBeGreaterThan(paramBytes);
    // Weights that never change (a Scorer's): one upload for the sessions' life, single batches too.
    const fixedMeter = new TransferMeter('host', 0);
    const fixed = new EvalSessions(model, layout, { kind: 'webgpu' }, 1, () => params, fixedMeter, {
      paramsFixed: true,
    });
    const f = [...(await fixed.evaluateMany(batches)), (await fixed.evaluateMany(batches.slice(0, 1)))[0]];
    await fixed.evaluateMany(batches.slice(2));
    const ft = fixedMeter.summary();
    expect(ft.upload).toMatchObject({ runs: 1, uploadBytes: paramBytes });
    expect(ft.eval!.runs).toBe(5);
    expect(ft.eval!.uploadBytes).toBeLessThan(paramBytes / 4);
    expect(Array.from(f[3].logits)).toEqual(Array.from(g[0].logits));
    f.slice(0, 3).forEach((e, i) => expect(Array.from(e.logits)).toEqual(Array.from(g[i].logits)));
    await Promise.all([gpu.release(), cpu.release(), fixed.release()]);
  }, 120_000);
});
