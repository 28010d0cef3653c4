// The copies-vs-compute meter on the CPU, where the training state crosses host memory every run:
// a run's bytes are exactly its host feeds and outputs (state included), seconds split into
// outside and inside session.run, evaluation and 1-step/K-step runs counted apart.
import { Runner } from '../../src/engine/runner.js';
import { hostBytes, perRun, TransferMeter } from '../../src/engine/transfers.js';
import { tensor } from '../../src/onnx/session.js';
import { Mlp, randomBatch } from '../helpers/mlp.js';

const model = new Mlp([3, 16, 4]);
const batches = Array.from({ length: 4 }, (_, i) => randomBatch(6, 3, 4, 10 + i));

test('cpu: every training run moves the whole state in and out; bytes exact, seconds positive', async () => {
  const r = await Runner.create(model, { params: model.init(1), optimizer: { kind: 'adamw' }, threads: 1 });
  const params = 3 * 16 + 16 + 16 * 4 + 4;
  expect(r.transferSummary).toMatchObject({ state: 'host', stateBytes: 3 * 4 * params });
  await r.step([batches[0]], [0.01]); // one step, one run
  await r.step(batches.slice(1, 4), [0.01, 0.01, 0.01]); // three steps in one Scan run
  const t = r.transferSummary.train;
  const stateBytes = r.transferSummary.stateBytes;
  const batchBytes = 6 * 3 * 4 + 6 * 8; // x float32, labels int64
  const scalars = (K: number) => 8 * K + 8 + 8 * K; // lr [K] float64, step float64, step_index [K] int64
  expect(t.runs).toBe(2);
  expect(t.uploadBytes).toBe(2 * stateBytes + 4 * batchBytes + scalars(1) + scalars(3));
  // Every output comes back to host memory: the state, a loss and a norm per step, the Scan's step counter per run.
  expect(t.downloadBytes).toBe(2 * stateBytes + 4 * 2 * 4 + 2 * 8);
  expect(perRun(t).uploadBytes).toBeGreaterThan(stateBytes);
  expect(t.hostSeconds).toBeGreaterThan(0);
  expect(t.runSeconds).toBeGreaterThan(0);
  expect(r.transferSummary.eval).toBeUndefined();

  // Evaluation feeds the parameters (one third of the state) once per run, with its two batches.
  await r.evaluateMany([batches[0], batches[1]]);
  const e = r.transferSummary.eval!;
  expect(e.runs).toBe(1);
  expect(e.uploadBytes).toBe(stateBytes / 3 + 2 * batchBytes);
  // The host state needs no readback run.
  await r.exportState();
  expect(r.transferSummary.readback).toBeUndefined();
  await r.release();
});

test('meter: inside seconds are what session.run took, host seconds the rest of the call; device tensors count no bytes', async () => {
  const m = new TransferMeter('device', 100);
  const slow = {
    run: async () => {
      await new Promise((res) => setTimeout(res, 60));
      return { y: tensor('float32', new Float32Array(5), [5]) };
    },
  };
  const x = tensor('float32', new Float32Array(3), [3]);
  await m.measure('train', async (run) => {
    await new Promise((res) => setTimeout(res, 40)); // building feeds
    await run(slow as never, { x });
    await run(slow as never, { x });
  });
  const t = m.get('train');
  expect(t.runs).toBe(2);
  expect(t.uploadBytes).toBe(24);
  expect(t.downloadBytes).toBe(40);
  expect(t.runSeconds).toBeGreaterThanOrEqual(0.115);
  expect(t.runSeconds).toBeLessThan(0.3);
  expect(t.hostSeconds).toBeGreaterThanOrEqual(0.035);
  expect(t.hostSeconds).toBeLessThan(0.2);
  expect(perRun(t)).toEqual({
    uploadBytes: 12,
    downloadBytes: 20,
    hostSeconds: t.hostSeconds / 2,
    runSeconds: t.runSeconds / 2,
  });
  expect(hostBytes({ location: 'gpu-buffer', size: 1000, type: 'float32' } as never)).toBe(0);
  expect(hostBytes(tensor('int64', new BigInt64Array(7), [7]))).toBe(56);
  expect(m.summary()).toEqual({ state: 'device', stateBytes: 100, train: t });
});
