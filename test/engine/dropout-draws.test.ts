// Dropout's masks are keyed by each micro-batch's draw index (the step's global index x A + a),
// not by how earlier runs drew: so accumulated micro-batches draw alike whether the step graph
// loops over them in a Scan (CPU, CUDA) or unrolls them (webgpu's graphs, run here on the CPU EP),
// and a run resumed from exported state continues with the masks an uninterrupted run would draw.
import { Runner, type RunnerOptions } from '../../src/engine/runner.js';
import { graphCapsOf } from '../../src/runtime/capabilities.js';
import { initWeights } from '../../src/models/weights.js';
import { tinyBatches, tinyTaskModel } from '../helpers/tiny-task-model.js';

const model = tinyTaskModel('bert', { dropout: 0.1, seed: 3 });
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => relErr(v, b[i])));

function runner(o: Partial<RunnerOptions> = {}) {
  return Runner.create(model, {
    device: 'cpu',
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    maxGradNorm: 0.5,
    loop: false,
    params: initWeights(model, 3),
    ...o,
  });
}

async function train(r: Runner, batches: ReturnType<typeof tinyBatches>, A: number, steps: number) {
  const losses: number[] = [];
  const norms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s = await r.step(batches.slice(i * A, (i + 1) * A), [1e-3]);
    losses.push(...s.losses);
    norms.push(...s.gradNorms);
  }
  return { losses, norms };
}

test('accumulate_grad_batches = 2 with dropout: the unrolled micro-batches draw what the inner Scan draws', async () => {
  const batches = tinyBatches(model, { count: 16, rows: 4, seq: 8, seed: 11 });
  const scan = await runner({ accumulate: 2 });
  const flat = await runner({ accumulate: 2, graphs: graphCapsOf({ kind: 'webgpu' }) });
  const [a, w] = [await train(scan, batches, 2, 8), await train(flat, batches, 2, 8)];
  expect(maxRel(w.losses, a.losses)).toBeLessThan(1e-5);
  expect(maxRel(w.norms, a.norms)).toBeLessThan(1e-5);
  await Promise.all([scan.release(), flat.release()]);
});

test('a resumed runner continues with the masks of the uninterrupted run', async () => {
  const batches = tinyBatches(model, { count: 6, rows: 4, seq: 8, seed: 12 });
  const straight = await runner();
  const all = await train(straight, batches, 1, 6);
  const first = await runner();
  await train(first, batches, 1, 3);
  const state = await first.exportState();
  const second = await runner();
  second.importState(state);
  const rest = await train(second, batches.slice(3), 1, 3);
  expect(maxRel(rest.losses, all.losses.slice(3))).toBeLessThan(1e-6);
  expect(maxRel(rest.norms, all.norms.slice(3))).toBeLessThan(1e-6);
  // and the masks do change from step to step: the same batch twice gives two losses at lr 0
  const twice = await runner();
  const [l1, l2] = [(await twice.step([batches[0]], [0])).losses[0], (await twice.step([batches[0]], [0])).losses[0]];
  expect(relErr(l1, l2)).toBeGreaterThan(1e-4);
  await Promise.all([straight.release(), first.release(), second.release(), twice.release()]);
});
