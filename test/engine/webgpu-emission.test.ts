// The graphs built for webgpu's capabilities (no float64, no Scan, the webgpu legalize rules)
// compute what the CPU/CUDA graphs compute: both run here on the CPU EP, so only the emission
// differs — float32 step scalars and AdamW coefficients, the cross-entropy without
// SoftmaxCrossEntropyLoss, Adds for Sum, int32 mask casts, the Expand'd dropout mask. 20 steps of every registered model type agree in loss and grad_norm, and so do
// the eval graphs' logits and losses.
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { Graph } from '../../src/onnx/graph.js';
import { supportedModelTypes } from '../../src/models/registry.js';
import type { LossOptions } from '../../src/models/task.js';
import { oneMinusPowF32 } from '../../src/optim/adamw.js';
import { graphCapsOf } from '../../src/runtime/capabilities.js';
import { trainTinySteps } from '../helpers/tiny-task-model.js';

const STEPS = 20;
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

async function train(type: string, target: 'any' | 'webgpu', loss?: LossOptions) {
  const r = await trainTinySteps(type, {
    steps: STEPS,
    seed: 11,
    loss,
    runner: { device: 'cpu', graphs: graphCapsOf({ kind: target === 'webgpu' ? 'webgpu' : 'cpu' }) },
  });
  return { ...r, graph: r.stepGraph };
}

describe('webgpu emission = CPU emission (both on the CPU EP)', () => {
  test.each(supportedModelTypes())(
    '%s: 20 AdamW steps (clipping on), loss and grad_norm within 1e-5; eval too',
    async (type) => {
      const a = await train(type, 'any');
      const w = await train(type, 'webgpu');
      expect(w.graph.io.scalars).toBe('float32');
      expect(a.graph.io.scalars).toBe('float64');
      expect(w.graph.graph.nodes.some((n) => n.opType === 'SoftmaxCrossEntropyLoss')).toBe(false);
      expect(a.graph.graph.nodes.some((n) => n.opType === 'SoftmaxCrossEntropyLoss')).toBe(true);
      const lossErr = Math.max(...w.losses.map((l, i) => relErr(l, a.losses[i])));
      const normErr = Math.max(...w.norms.map((l, i) => relErr(l, a.norms[i])));
      expect(lossErr).toBeLessThan(1e-5);
      expect(normErr).toBeLessThan(1e-5);
      expect(Math.max(...a.norms)).toBeGreaterThan(0.5); // clipping engaged
      // the optimizer moved the weights: batch 0's loss now is not its loss at step 0
      expect(relErr(a.ev.loss!, a.losses[0])).toBeGreaterThan(1e-3);
      expect(relErr(w.ev.loss!, a.ev.loss!)).toBeLessThan(1e-5);
      w.ev.logits.forEach((v, i) => expect(Math.abs(v - a.ev.logits[i])).toBeLessThan(1e-5));
    },
  );

  test.each<[string, LossOptions]>([
    [
      'multi-label BCE, pos_weight, smoothing',
      { problemType: 'multi_label_classification', classWeights: [1, 2, 3], labelSmoothing: 0.1 },
    ],
    ['weighted, smoothed cross-entropy', { classWeights: [1, 2, 0.5], labelSmoothing: 0.1 }],
  ])('bert with %s: loss and grad_norm within 1e-5', async (_, loss) => {
    const a = await train('bert', 'any', loss);
    const w = await train('bert', 'webgpu', loss);
    expect(Math.max(...w.losses.map((l, i) => relErr(l, a.losses[i])))).toBeLessThan(1e-5);
    expect(Math.max(...w.norms.map((l, i) => relErr(l, a.norms[i])))).toBeLessThan(1e-5);
  });

  test("AdamW's float32 1 - b^t is within 2^-22 relative (2 float32 ulps) of the double value for t = 1 .. 10^6 (Pow in float32: 1.3e-5 off at t = 1)", async () => {
    const ts = [1, 2, 3, 5, 10, 50, 100, 499, 500, 501, 693, 694, 1000, 5000, 1e4, 1e5, 1e6];
    const g = new Graph('bc');
    const t = g.input('t', 'float32', [ts.length]);
    g.output(oneMinusPowF32(g, 0.999, t), 'b2');
    g.output(oneMinusPowF32(g, 0.9, t), 'b1');
    const naive = g.op('Sub', [g.scalar(1, 'float32'), g.op('Pow', [g.scalar(0.999, 'float32'), t])]);
    g.output(naive, 'naive');
    const s = await sessionFor(g);
    const out = await s.run({ t: tensor('float32', Float32Array.from(ts), [ts.length]) });
    for (const [name, b] of [
      ['b2', 0.999],
      ['b1', 0.9],
    ] as const) {
      const got = out[name].data as Float32Array;
      ts.forEach((tv, i) => expect(relErr(got[i], 1 - b ** tv)).toBeLessThan(2 ** -22));
    }
    expect(relErr((out.naive.data as Float32Array)[0], 0.001)).toBeGreaterThan(1e-5);
    await s.release();
  });
});
