// Dropout's gradient reuses the forward mask. ORT draws a new mask on every run, but a fresh
// session with the same `seed` attribute draws the same first mask, so the finite differences
// below use one new session per loss evaluation.
import { gradients } from '../../src/autodiff/backward.js';
import { typedArrayOf } from '../../src/onnx/dtype.js';
import { Graph } from '../../src/onnx/graph.js';
import { toModelBytes } from '../../src/onnx/serialize.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { mulberry32 } from '../../src/util/random.js';
import { gradCheck, randn } from '../helpers/gradcheck.js';

const SHAPE = [4, 5];
const N = 20;

/** loss = sum(Dropout(tanh(x)) * R) with its gradient; `training` feeds the training_mode input. */
function dropoutModel(training: 'const-true' | 'input') {
  const g = new Graph('dropout');
  const x = g.input('x', 'float64', SHAPE);
  const mode = training === 'input' ? g.input('training', 'bool', []) : g.constant('bool', [1], []);
  const [y, mask] = g.node('Dropout', [g.op('Tanh', [x]), g.scalar(0.4, 'float64'), mode], { seed: 7 });
  const R = g.constant('float64', randn(N, mulberry32(2)), SHAPE);
  const loss = g.op('ReduceSum', [g.op('Mul', [y, R])], { keepdims: 0 });
  g.output(loss, 'loss');
  g.output(mask, 'mask');
  g.output(gradients(loss, [x])[0], 'dx');
  return toModelBytes(g);
}

async function evaluate(bytes: Uint8Array, x: number[], training?: boolean) {
  const s = await sessionFor(bytes, { graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ReturnType<typeof tensor>> = { x: tensor('float64', typedArrayOf('float64', x), SHAPE) };
  if (training !== undefined) feeds.training = tensor('bool', Uint8Array.from([training ? 1 : 0]), []);
  const out = await s.run(feeds);
  await s.release();
  return {
    loss: Number(out.loss.data[0]),
    mask: Array.from(out.mask.data as Uint8Array),
    dx: Array.from(out.dx.data as Float64Array),
  };
}

async function fdCheck(bytes: Uint8Array, training?: boolean) {
  const x = randn(N, mulberry32(5));
  const base = await evaluate(bytes, x, training);
  const eps = 1e-6;
  for (let i = 0; i < N; i++) {
    const up = [...x];
    up[i] += eps;
    const down = [...x];
    down[i] -= eps;
    const a = await evaluate(bytes, up, training),
      b = await evaluate(bytes, down, training);
    expect(a.mask).toEqual(base.mask); // same seed, same mask: the finite differences are meaningful
    expect(Math.abs(base.dx[i] - (a.loss - b.loss) / (2 * eps))).toBeLessThan(1e-7 + 1e-5 * Math.abs(base.dx[i]));
  }
  return base;
}

describe('gradient check per op: Dropout', () => {
  test('Dropout training_mode=true (constant), ratio 0.4: dx = dy * mask / 0.6 from the forward mask', async () => {
    const base = await fdCheck(dropoutModel('const-true'));
    const dropped = base.mask.filter((m) => m === 0).length;
    expect(dropped).toBeGreaterThan(0); // otherwise this would only test the identity
    expect(dropped).toBeLessThan(N);
    base.mask.forEach((m, i) => {
      if (!m) expect(Math.abs(base.dx[i])).toBe(0);
    });
  });

  test('Dropout training_mode as a run-time input: masked when true, identity when false', async () => {
    const bytes = dropoutModel('input');
    const on = await fdCheck(bytes, true);
    expect(on.mask.some((m) => m === 0)).toBe(true);
    const off = await fdCheck(bytes, false);
    expect(off.mask.every((m) => m === 1)).toBe(true);
  });

  test('Dropout without training_mode, and with a constant false, is the identity', async () => {
    await gradCheck(
      [{ name: 'x', shape: [3, 4] }],
      (g, [x]) => g.node('Dropout', [g.op('Tanh', [x]), g.scalar(0.5, x)])[0],
    );
    await gradCheck(
      [{ name: 'x', shape: [3, 4] }],
      (g, [x]) => g.node('Dropout', [g.op('Tanh', [x]), g.scalar(0.5, x), g.constant('bool', [0], [])])[0],
    );
  });
});
