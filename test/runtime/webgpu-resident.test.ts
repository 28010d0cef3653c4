// Training state resident on the WebGPU device (Mesa's lavapipe here): after the first run no
// parameter or optimizer tensor is fed from host memory, the previous state's device buffers are
// released once the next run consumed them, and training gives the losses, gradient norms and
// weights of the host round-trip path on the same device and of the CPU. Checkpoint state comes
// back through the readback session, evaluation is fed the device tensors, and the copies-vs-
// compute meter shows the difference in bytes. A tiny BERT: lavapipe is ~100x slower than the CPU.
import { tmpdir } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { Runner, type RunnerOptions, type TrainState } from '../../src/engine/runner.js';
import { BertModel } from '../../src/models/bert/index.js';
import { initWeights } from '../../src/models/weights.js';
import type { ort } from '../../src/onnx/session.js';
import { tinyBertBatch, tinyBertConfig } from '../helpers/tiny-bert.js';
import { describeWebgpu } from '../helpers/webgpu.js';

process.env.XDG_RUNTIME_DIR ??= tmpdir();

const cfg = tinyBertConfig({ hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
const model = new BertModel(cfg, 3, { dropout: 0 });
const init = initWeights(model, 1);

const batch = tinyBertBatch;

const opts = (o: Partial<RunnerOptions>): RunnerOptions => ({
  params: init,
  optimizer: { kind: 'adamw', weightDecay: 0.01 },
  maxGradNorm: 0.2,
  threads: 1,
  ...o,
});

/** Records the feeds and results of every run of the runner's train-step session. */
function spyRuns(r: Runner) {
  const runs: { feeds: Record<string, ort.Tensor>; locations: Record<string, string>; out: Record<string, string> }[] =
    [];
  const session = r.session as InferenceSession;
  const real = session.run.bind(session);
  session.run = (async (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
    const locations = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.location as string]));
    const result = await (real as (...a: unknown[]) => Promise<InferenceSession.ReturnType>)(feeds, ...rest);
    const out = Object.fromEntries(Object.entries(result).map(([k, t]) => [k, (t as ort.Tensor).location as string]));
    runs.push({ feeds, locations, out });
    return result;
  }) as InferenceSession['run'];
  return runs;
}

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let d = 0;
  for (const [k, x] of a) x.forEach((v, i) => (d = Math.max(d, Math.abs(v - b.get(k)![i]))));
  return d;
}

// Steps as calls: 1, 1, then K = 3 in one call, then 1.
const CALLS = [[0], [1], [2, 3, 4], [5]];
const LRS = [1e-3, 2e-3, 3e-3, 3e-3, 2e-3, 1e-3];

async function train(r: Runner) {
  const losses: number[] = [],
    norms: number[] = [];
  for (const steps of CALLS) {
    const s = await r.step(
      steps.map((i) => batch(i)),
      steps.map((i) => LRS[i]),
    );
    losses.push(...s.losses);
    norms.push(...s.gradNorms);
  }
  return { losses, norms };
}

describeWebgpu('resident training state on webgpu (lavapipe)', () => {
  test('after the first run every parameter and optimizer feed is a gpu-buffer tensor; batches and scalars come from the host; the replaced state is released', async () => {
    const r = await Runner.create(model, opts({ device: 'webgpu' }));
    expect(r.resident).toBe(true);
    expect(r.stepGraph.loop).toBe(false); // one-step graph: no Scan on the CPU EP
    const runs = spyRuns(r);
    await train(r);
    expect(runs).toHaveLength(6); // the K = 3 call is three runs
    const { io } = r.stepGraph;
    const stateInputs = io.state.map((s) => s.input);
    const other = [...io.batch, io.lr, io.step, ...(io.seqLen ? [io.seqLen] : [])];
    // Run 1 uploads the initial state; from run 2 on, none of it comes from host memory.
    expect(stateInputs.map((n) => runs[0].locations[n])).toEqual(stateInputs.map(() => 'cpu'));
    for (const run of runs.slice(1)) {
      expect(stateInputs.map((n) => run.locations[n])).toEqual(stateInputs.map(() => 'gpu-buffer'));
      expect(other.map((n) => run.locations[n])).toEqual(other.map(() => 'cpu'));
    }
    for (const run of runs) {
      expect(io.state.map((s) => run.out[s.output])).toEqual(io.state.map(() => 'gpu-buffer'));
      expect([run.out[io.loss], run.out[io.gradNorm]]).toEqual(['cpu', 'cpu']);
    }
    // The state fed to run 2 was released once run 3 had consumed what run 2 returned.
    expect(stateInputs.map((n) => runs[1].feeds[n].location)).toEqual(stateInputs.map(() => 'none'));
    // The meter agrees: after run 1 only batches and scalars were uploaded, only losses/norms came back.
    const t = r.transferSummary;
    expect(t.state).toBe('device');
    expect(t.train.runs).toBe(6);
    expect(t.train.downloadBytes).toBe(6 * 2 * 4); // one float32 loss and one grad norm per run
    const batchBytes = 4 * 10 * 8 * 3 + 4 * 8 + 4 + 4 + 8 + 8; // ids, mask, types; labels; lr and step (float32 on webgpu); seq_len; step_index
    expect(t.train.uploadBytes).toBe(t.stateBytes + 6 * batchBytes);
    await r.release();
  }, 240_000);

  test('resident == host round trip on webgpu (bitwise-close) == cpu within 1e-5: losses, grad norms, exported weights and AdamW state, evaluation', async () => {
    const resident = await Runner.create(model, opts({ device: 'webgpu' }));
    const host = await Runner.create(model, opts({ device: 'webgpu', resident: false, loop: false }));
    const cpu = await Runner.create(model, opts({ device: 'cpu', layout: 'flat' }));
    expect(host.resident).toBe(false);
    const [a, b, c] = [await train(resident), await train(host), await train(cpu)];
    console.log(
      `webgpu resident vs host: losses ${maxAbs(a.losses, b.losses).toExponential(2)}, norms ${maxAbs(a.norms, b.norms).toExponential(2)}; vs cpu: losses ${maxAbs(a.losses, c.losses).toExponential(2)}, norms ${maxAbs(a.norms, c.norms).toExponential(2)}`,
    );
    expect(a.losses).toHaveLength(6);
    expect(Math.max(...a.norms)).toBeGreaterThan(0.2); // clipping engaged
    expect(maxAbs(a.losses, b.losses)).toBeLessThanOrEqual(1e-6);
    expect(maxAbs(a.norms, b.norms)).toBeLessThanOrEqual(1e-6);
    expect(maxAbs(a.losses, c.losses)).toBeLessThanOrEqual(1e-5);
    expect(maxAbs(a.norms, c.norms)).toBeLessThanOrEqual(1e-5);
    const [sa, sb, sc] = [await resident.exportState(), await host.exportState(), await cpu.exportState()];
    expect(sa.step).toBe(6);
    expect(maxDiff(sa.params, sb.params)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(sa.optimizer, sb.optimizer)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(sa.params, sc.params)).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(sa.params, init)).toBeGreaterThan(1e-3); // it trained
    expect(resident.transferSummary.readback?.runs).toBe(1);
    expect(resident.transferSummary.readback?.downloadBytes).toBe(resident.transferSummary.stateBytes);
    // Exporting leaves the device state in place: training continues from it.
    const next = [batch(9)];
    const ra = await resident.step(next, [1e-3]);
    const rb = await host.step(next, [1e-3]);
    expect(maxAbs(ra.losses, rb.losses)).toBeLessThanOrEqual(1e-6);
    // Evaluation is fed the device-resident parameters (no host copy of them) and equals the host path's.
    const evalBatches = [batch(20), batch(21)];
    const before = resident.transferSummary.eval?.uploadBytes ?? 0;
    const [ea, eb] = [await resident.evaluateMany(evalBatches), await host.evaluateMany(evalBatches)];
    const evalUpload = resident.transferSummary.eval!.uploadBytes - before;
    expect(evalUpload).toBeLessThan(4096); // two batches of tokens, not the 250 KB of parameters
    // The host path's parameters go up once for the call (an upload run), not with each batch's run.
    const paramBytes = resident.transferSummary.stateBytes / 3;
    expect(host.transferSummary.upload).toMatchObject({ runs: 1, uploadBytes: paramBytes });
    expect(host.transferSummary.eval!.uploadBytes).toBe(evalUpload);
    ea.forEach((e, i) => {
      expect(maxAbs(Array.from(e.logits), Array.from(eb[i].logits))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(e.loss! - eb[i].loss!)).toBeLessThanOrEqual(1e-6);
    });
    await Promise.all([resident.release(), host.release(), cpu.release()]);
  }, 300_000);

  test('importState into a resident runner (resume): state replaces the device copy and training continues exactly', async () => {
    const straight = await Runner.create(model, opts({ device: 'webgpu' }));
    await straight.step([batch(0)], [1e-3]);
    await straight.step([batch(1)], [2e-3]);
    const saved: TrainState = await straight.exportState();
    const l3 = (await straight.step([batch(2)], [3e-3])).losses;

    const resumed = await Runner.create(model, opts({ device: 'webgpu' }));
    await resumed.step([batch(7)], [1e-3]); // its state is on the device now
    const runs = spyRuns(resumed);
    resumed.importState(saved);
    expect(resumed.globalStep).toBe(2);
    const r3 = (await resumed.step([batch(2)], [3e-3])).losses;
    expect(r3).toEqual(l3);
    const { io } = resumed.stepGraph;
    expect(io.state.map((s) => runs[0].locations[s.input])).toEqual(io.state.map(() => 'cpu')); // the imported state is uploaded once
    const [a, b] = [await straight.exportState(), await resumed.exportState()];
    expect(maxDiff(a.params, b.params)).toBe(0);
    expect(maxDiff(a.optimizer, b.optimizer)).toBe(0);
    // Evaluation after an import puts the state on the device once (an upload run), not the
    // parameters with every evaluation run; it equals the evaluation of the run that never stopped.
    const other = await Runner.create(model, opts({ device: 'webgpu' }));
    other.importState(saved);
    const evalBatches = [batch(30), batch(31, 2)]; // two runs: the batches differ in rows
    const ev = await other.evaluateMany(evalBatches);
    const t = other.transferSummary;
    expect(t.upload).toMatchObject({ runs: 1, uploadBytes: t.stateBytes, downloadBytes: 0 });
    expect(t.eval!.runs).toBe(2);
    expect(t.eval!.uploadBytes).toBeLessThan(2048); // tokens and labels only
    const straightAt2 = await Runner.create(model, opts({ device: 'webgpu', resident: false }));
    straightAt2.importState(saved);
    const ref = await straightAt2.evaluateMany(evalBatches);
    ev.forEach((e, i) => expect(maxAbs(Array.from(e.logits), Array.from(ref[i].logits))).toBeLessThanOrEqual(1e-6));
    await Promise.all([other.release(), straightAt2.release()]);
    // A bad import is refused by name and leaves the device state as it was.
    expect(() => resumed.importState({ ...saved, params: new Map() })).toThrow(/is missing/);
    expect(maxDiff((await resumed.exportState()).params, b.params)).toBe(0);
    await Promise.all([straight.release(), resumed.release()]);
  }, 240_000);

  test('resident with the Scan graph (loop: true) keeps the state outputs on the device too (all outputs fetched) and trains alike', async () => {
    const scan = await Runner.create(model, opts({ device: 'webgpu', loop: true }));
    const plain = await Runner.create(model, opts({ device: 'webgpu' }));
    expect(scan.stepGraph.loop).toBe(true);
    const runs = spyRuns(scan);
    const [a, b] = [await train(scan), await train(plain)];
    expect(runs).toHaveLength(4); // the K = 3 call is one Scan run
    const { io } = scan.stepGraph;
    for (const run of runs) {
      expect(io.state.map((s) => run.out[s.output])).toEqual(io.state.map(() => 'gpu-buffer'));
      expect([run.out[io.loss], run.out[io.gradNorm]]).toEqual(['cpu', 'cpu']);
    }
    expect(io.state.map((s) => runs[3].locations[s.input])).toEqual(io.state.map(() => 'gpu-buffer'));
    expect(maxAbs(a.losses, b.losses)).toBeLessThanOrEqual(1e-6);
    expect(maxAbs(a.norms, b.norms)).toBeLessThanOrEqual(1e-6);
    await Promise.all([scan.release(), plain.release()]);
  }, 240_000);

  test('resident state is a webgpu feature: asking for it elsewhere fails by name', async () => {
    await expect(Runner.create(model, opts({ device: 'cpu', resident: true }))).rejects.toThrow(
      /resident state needs the webgpu device \(on cpu onnxruntime-node returns every output in host memory\)/,
    );
  });
});
