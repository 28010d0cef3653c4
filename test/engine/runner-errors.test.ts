// Wrong feeds fail before ORT runs, with the input's name and the fix; the runner's state is untouched.
import { FeedError, type MicroBatch } from '../../src/engine/feeds.js';
import { Runner } from '../../src/engine/runner.js';
import { Mlp, randomBatch } from '../helpers/mlp.js';

const model = new Mlp([3, 5, 2]);
const good = randomBatch(4, 3, 2, 1);
let r: Runner;

beforeAll(async () => {
  r = await Runner.create(model, { params: model.init(), optimizer: { kind: 'adamw' }, accumulate: 2, threads: 1 });
});
afterAll(async () => {
  await r.release();
});

async function fails(batches: MicroBatch[], lrs: number[], message: RegExp) {
  const before = await r.exportState();
  const err = await r.step(batches, lrs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeedError);
  expect((err as Error).message).toMatch(message);
  expect(r.globalStep).toBe(0);
  expect((await r.exportState()).params).toEqual(before.params);
}

describe('Runner feed validation', () => {
  test('missing batch input names it and lists what the model takes', async () => {
    await fails([good, { x: good.x }], [0.1], /batch 1: input 'labels' is missing; the model takes x, labels/);
  });

  test('unknown input', async () => {
    await fails([good, { ...good, mask: good.x }], [0.1], /batch 1: unknown input 'mask'/);
  });

  test('wrong dtype names the expected typed array', async () => {
    const labels32 = { data: Int32Array.from([0, 1, 0, 1]), dims: [4] };
    await fails(
      [good, { ...good, labels: labels32 }],
      [0.1],
      /batch 1: input 'labels' must be int64 \(BigInt64Array\), got Int32Array/,
    );
  });

  test('batch size mismatch between inputs of one batch', async () => {
    const short = { data: BigInt64Array.from([0n, 1n, 0n]), dims: [3] };
    await fails(
      [{ ...good, labels: short }, good],
      [0.1],
      /batch 0: input 'labels' has batch=3 \(dimension 0\) but 'x' has batch=4/,
    );
  });

  test('fixed dimension, rank and data length', async () => {
    const wide = { data: new Float32Array(16), dims: [4, 4] };
    await fails([good, { ...good, x: wide }], [0.1], /input 'x' dimension 1 must be 3, got 4/);
    await fails(
      [good, { ...good, x: { data: new Float32Array(12), dims: [12] } }],
      [0.1],
      /input 'x' must have rank 2 \[batch, 3\], got dims \[12\]/,
    );
    await fails(
      [good, { ...good, x: { data: new Float32Array(11), dims: [4, 3] } }],
      [0.1],
      /input 'x' has 11 values but dims \[4, 3\] need 12/,
    );
  });

  test('K mismatch: micro-batches vs learning rates (K*A)', async () => {
    await fails(
      [good, good, good],
      [0.1, 0.1],
      /got 3 micro-batches for 2 step\(s\) with accumulate_grad_batches=2; pass K\*A = 4/,
    );
    await fails([], [], /at least one learning rate/);
  });

  test('batches of one run with different shapes', async () => {
    await fails(
      [good, randomBatch(5, 3, 2, 2)],
      [0.1],
      /batch 1: input 'x' is \[5, 3\] but batch 0 is \[4, 3\]; .*equal shapes/,
    );
  });

  test('bad learning rate', async () => {
    await fails([good, good], [Number.NaN], /learning rate 0 is NaN/);
  });

  test('evaluate checks its batch too', async () => {
    await expect(r.evaluate({ x: { data: new Float64Array(12), dims: [4, 3] } })).rejects.toThrow(
      /evaluate: input 'x' must be float32 \(Float32Array\), got Float64Array/,
    );
  });

  test('a valid run after all the failures still works', async () => {
    const s = await r.step([good, good], [0.1]);
    expect(s.losses).toHaveLength(1);
    expect(r.globalStep).toBe(1);
  });
});
