// Dropout on: training on the WebGPU device (lavapipe) equals training on the CPU device step for
// step. The masks are a function of the seed, the site and each micro-batch's draw index
// (models/dropout.ts), computed by the same float64/int64 arithmetic on the CPU provider in both
// runs, so the step logs (loss, grad_norm) agree as closely as without dropout. Tiny model:
// lavapipe is ~100x slower than the CPU EP.
import { trainTinySteps } from '../helpers/tiny-task-model.js';
import { describeWebgpu } from '../helpers/webgpu.js';

const STEPS = 20;
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describeWebgpu('dropout on: training on webgpu equals training on cpu', () => {
  test('bert, dropout 0.1: 20 steps, loss and grad_norm within 1e-4 relative per step', async () => {
    const run = (device: 'cpu' | 'webgpu', dropout = 0.1) =>
      trainTinySteps('bert', { steps: STEPS, seed: 5, dropout, runner: { device } });
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    const lossErr = Math.max(...gpu.losses.map((l, i) => relErr(l, cpu.losses[i])));
    const normErr = Math.max(...gpu.norms.map((l, i) => relErr(l, cpu.norms[i])));
    console.log(
      `dropout 0.1, ${STEPS} steps: max relative difference webgpu vs cpu: loss ${lossErr.toExponential(2)}, grad_norm ${normErr.toExponential(2)}`,
    );
    expect(lossErr).toBeLessThan(1e-4);
    expect(normErr).toBeLessThan(1e-4);
    // dropout is really on: without it the steps differ (from the first one on)
    const plain = await run('cpu', 0);
    expect(Math.max(...plain.norms.map((n, i) => relErr(n, cpu.norms[i])))).toBeGreaterThan(1e-2);
  }, 300_000);
});
