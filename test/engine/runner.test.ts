// The runner on a small MLP, with per-parameter and with flat state: learning a non-linear toy set,
// K steps per run == K runs of 1 step, flat == per-parameter, Scan vs plain graph, gradient
// accumulation, evaluation and checkpoint round trips.
import type { OptimizerConfig } from '../../src/optim/index.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { Runner, type RunnerOptions, type TrainState } from '../../src/engine/runner.js';
import type { LayoutKind } from '../../src/engine/state-layout.js';
import { Mlp, mlpBatch, randomBatch, twoSpirals } from '../helpers/mlp.js';

const model = new Mlp([3, 16, 4]);
const batches = Array.from({ length: 8 }, (_, i) => randomBatch(6, 3, 4, 100 + i));
const lrs = [0.05, 0.04, 0.03, 0.02, 0.05, 0.01, 0.02, 0.03];

/** The state layout the equivalence tests below run with (each runs for both). */
let layout: LayoutKind = 'per-param';

async function runner(opts: Partial<RunnerOptions> & { optimizer: OptimizerConfig }): Promise<Runner> {
  return Runner.create(model, { params: model.init(3), threads: 1, layout, ...opts });
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let d = 0;
  for (const [k, x] of a)
    x.forEach((v, i) => {
      d = Math.max(d, Math.abs(v - b.get(k)![i]));
    });
  return d;
}

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe.each(['per-param', 'flat'] as LayoutKind[])('Runner (MLP), %s state', (kind) => {
  beforeAll(() => {
    layout = kind;
  });

  test('reaches 100% train accuracy on two spirals', async () => {
    const mlp = new Mlp([2, 32, 32, 2]);
    const { xs, labels } = twoSpirals(60);
    const batch = mlpBatch(xs, labels);
    const r = await Runner.create(mlp, {
      params: mlp.init(5),
      optimizer: { kind: 'adamw', weightDecay: 0.0 },
      maxGradNorm: 5,
      threads: 1,
    });
    const before = await accuracy(r, batch, labels);
    let last: number[] = [];
    for (let run = 0; run < 60; run++) {
      last = (await r.step(Array(25).fill(batch), Array(25).fill(0.01))).losses;
      if ((await accuracy(r, batch, labels)) === 1) break;
    }
    expect(before).toBeLessThan(0.8);
    expect(await accuracy(r, batch, labels)).toBe(1);
    expect(last[last.length - 1]).toBeLessThan(0.2);
    await r.release();
  });

  for (const optimizer of [
    { kind: 'adamw', weightDecay: 0.1 },
    { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 },
  ] as OptimizerConfig[]) {
    test(`${optimizer.kind}: 8 steps in one run equal 8 runs of one step, and 4+4; clipping active`, async () => {
      const one = await runner({ optimizer, maxGradNorm: 0.3 });
      const single: number[] = [],
        norms: number[] = [];
      for (let i = 0; i < 8; i++) {
        const s = await one.step([batches[i]], [lrs[i]]);
        single.push(...s.losses);
        norms.push(...s.gradNorms);
      }
      expect(Math.max(...norms)).toBeGreaterThan(0.3); // the clip really engaged

      const eight = await runner({ optimizer, maxGradNorm: 0.3 });
      const k8 = await eight.step(batches, lrs);
      const split = await runner({ optimizer, maxGradNorm: 0.3 });
      const k44 = [
        ...(await split.step(batches.slice(0, 4), lrs.slice(0, 4))).losses,
        ...(await split.step(batches.slice(4), lrs.slice(4))).losses,
      ];

      expect(maxAbs(k8.losses, single)).toBeLessThanOrEqual(1e-6);
      expect(maxAbs(k8.gradNorms, norms)).toBeLessThanOrEqual(1e-6);
      expect(maxAbs(k44, single)).toBeLessThanOrEqual(1e-6);
      expect(single[7]).not.toBeCloseTo(single[0], 3); // training moved
      const a = await one.exportState(),
        b = await eight.exportState(),
        c = await split.exportState();
      expect(maxDiff(a.params, b.params)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(a.optimizer, b.optimizer)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(a.params, c.params)).toBeLessThanOrEqual(1e-6);
      expect([a.step, b.step, c.step]).toEqual([8, 8, 8]);
      await Promise.all([one, eight, split].map((r) => r.release()));
    });
  }

  test('flat state equals per-parameter state within 1e-6 (AdamW decay groups + clipping, SGD momentum), runs of 2+3+3', async () => {
    for (const optimizer of [
      { kind: 'adamw', weightDecay: 0.1 },
      { kind: 'sgd', momentum: 0.9, weightDecay: 0.01 },
    ] as OptimizerConfig[]) {
      const flat = await runner({ optimizer, maxGradNorm: 0.3, layout: 'flat' });
      const per = await runner({ optimizer, maxGradNorm: 0.3, layout: 'per-param' });
      expect(flat.layout.groups.map((g) => g.name)).toEqual(['#decay', '#no_decay']);
      expect(per.layout.groups).toHaveLength(model.params.length);
      const lf: number[] = [],
        lp: number[] = [];
      for (const [a, b] of [
        [0, 2],
        [2, 5],
        [5, 8],
      ]) {
        lf.push(...(await flat.step(batches.slice(a, b), lrs.slice(a, b))).losses);
        lp.push(...(await per.step(batches.slice(a, b), lrs.slice(a, b))).losses);
      }
      expect(maxAbs(lf, lp)).toBeLessThanOrEqual(1e-6);
      const a = await flat.exportState(),
        b = await per.exportState();
      expect(maxDiff(a.params, b.params)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(a.optimizer, b.optimizer)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(a.params, model.init(3))).toBeGreaterThan(1e-3); // it trained
      await Promise.all([flat.release(), per.release()]);
    }
  });

  test('the CPU trains with per-parameter tensors by default; flat can be asked for', async () => {
    const r = await Runner.create(model, { params: model.init(3), optimizer: { kind: 'adamw' } });
    expect(r.layout.kind).toBe('per-param');
    await r.release();
    const f = await runner({ optimizer: { kind: 'adamw' }, layout: 'flat' });
    expect(f.layout.kind).toBe('flat');
    await f.release();
  });

  test('the plain one-step graph (no Scan) matches the Scan graph step for step, and runs K steps as K runs', async () => {
    const optimizer: OptimizerConfig = { kind: 'adamw', weightDecay: 0.05 };
    const plain = await runner({ optimizer, maxGradNorm: 0.3, loop: false });
    const looped = await runner({ optimizer, maxGradNorm: 0.3, loop: true });
    const lp: number[] = [],
      ll: number[] = [];
    for (let i = 0; i < 4; i++) {
      lp.push(...(await plain.step([batches[i]], [lrs[i]])).losses);
      ll.push(...(await looped.step([batches[i]], [lrs[i]])).losses);
    }
    expect(maxAbs(lp, ll)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff((await plain.exportState()).params, (await looped.exportState()).params)).toBeLessThanOrEqual(1e-6);
    // K = 3 steps in one call: three runs of the plain graph, one Scan run.
    const runsBefore = plain.transferSummary.train.runs;
    const kp = await plain.step(batches.slice(4, 7), lrs.slice(4, 7));
    const kl = await looped.step(batches.slice(4, 7), lrs.slice(4, 7));
    expect(plain.transferSummary.train.runs - runsBefore).toBe(3);
    expect(kp.losses).toHaveLength(3);
    expect(maxAbs(kp.losses, kl.losses)).toBeLessThanOrEqual(1e-6);
    expect(maxAbs(kp.gradNorms, kl.gradNorms)).toBeLessThanOrEqual(1e-6);
    expect(plain.globalStep).toBe(7);
    expect(maxDiff((await plain.exportState()).optimizer, (await looped.exportState()).optimizer)).toBeLessThanOrEqual(
      1e-6,
    );
    await Promise.all([plain.release(), looped.release()]);
  });

  test('accumulate_grad_batches=2 equals one step on the concatenated batch (equal sizes)', async () => {
    const concat = (a: MicroBatch, b: MicroBatch): MicroBatch => ({
      x: { data: Float32Array.from([...(a.x.data as Float32Array), ...(b.x.data as Float32Array)]), dims: [12, 3] },
      labels: {
        data: BigInt64Array.from([...(a.labels.data as BigInt64Array), ...(b.labels.data as BigInt64Array)]),
        dims: [12],
      },
    });
    for (const optimizer of [
      { kind: 'adamw', weightDecay: 0.1 },
      { kind: 'sgd', momentum: 0.5 },
    ] as OptimizerConfig[]) {
      const acc = await runner({ optimizer, maxGradNorm: 0.3, accumulate: 2 });
      const big = await runner({ optimizer, maxGradNorm: 0.3 });
      const ra = await acc.step(batches.slice(0, 6), lrs.slice(0, 3)); // 3 steps x 2 micro-batches
      const rb = await big.step(
        [0, 2, 4].map((i) => concat(batches[i], batches[i + 1])),
        lrs.slice(0, 3),
      );
      expect(maxAbs(ra.losses, rb.losses)).toBeLessThanOrEqual(1e-6);
      expect(maxAbs(ra.gradNorms, rb.gradNorms)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff((await acc.exportState()).params, (await big.exportState()).params)).toBeLessThanOrEqual(1e-6);
      expect(acc.globalStep).toBe(3);
      await Promise.all([acc.release(), big.release()]);
    }
  });

  test('export/import resumes identically (params, AdamW moments, step count for bias correction)', async () => {
    const optimizer: OptimizerConfig = { kind: 'adamw', weightDecay: 0.1 };
    const straight = await runner({ optimizer, maxGradNorm: 1 });
    await straight.step(batches.slice(0, 3), lrs.slice(0, 3));
    const saved: TrainState = await straight.exportState();
    const rest = await straight.step(batches.slice(3), lrs.slice(3));

    // Exported arrays are copies: later steps must not change them.
    expect(maxDiff(saved.params, (await straight.exportState()).params)).toBeGreaterThan(1e-4);
    const resumed = await runner({ params: model.init(99), optimizer, maxGradNorm: 1 });
    resumed.importState(saved);
    expect(resumed.globalStep).toBe(3);
    const again = await resumed.step(batches.slice(3), lrs.slice(3));
    expect(again.losses).toEqual(rest.losses);
    expect(maxDiff((await resumed.exportState()).params, (await straight.exportState()).params)).toBe(0);
    expect(maxDiff((await resumed.exportState()).optimizer, (await straight.exportState()).optimizer)).toBe(0);

    // Without the step count, bias correction restarts and the run diverges: the step matters.
    const wrongStep = await runner({ optimizer, maxGradNorm: 1 });
    wrongStep.importState({ ...saved, step: 0 });
    expect(maxAbs((await wrongStep.step(batches.slice(3), lrs.slice(3))).losses, rest.losses)).toBeGreaterThan(1e-5);
    await Promise.all([straight.release(), resumed.release(), wrongStep.release()]);
  });

  test('importState rejects unknown, missing and mis-sized tensors by name', async () => {
    const r = await runner({ optimizer: { kind: 'adamw' } });
    const s = await r.exportState();
    const bad = (f: (x: TrainState) => void) => {
      const c = { params: new Map(s.params), optimizer: new Map(s.optimizer), step: 1 };
      f(c);
      return c;
    };
    expect(() => r.importState(bad((c) => c.params.set('fc9.weight', new Float32Array(1))))).toThrow(
      /unknown parameter 'fc9.weight'/,
    );
    expect(() => r.importState(bad((c) => c.params.delete('fc1.bias')))).toThrow(/'fc1.bias' is missing/);
    expect(() => r.importState(bad((c) => c.optimizer.delete('exp_avg_sq.fc0.weight')))).toThrow(
      /'exp_avg_sq.fc0.weight' is missing/,
    );
    expect(() => r.importState(bad((c) => c.params.set('fc0.bias', new Float32Array(3))))).toThrow(
      /'fc0.bias' has 3 values, expected 16/,
    );
    await r.release();
  });

  test("evaluate shares the current parameters: its loss is the next step's loss; no labels -> logits only", async () => {
    const r = await runner({ optimizer: { kind: 'sgd', momentum: 0.9 } });
    await r.step(batches.slice(0, 2), lrs.slice(0, 2));
    const ev = await r.evaluate(batches[2]);
    const st = await r.step([batches[2]], [lrs[2]]);
    expect(ev.dims).toEqual([6, 4]);
    expect(Math.abs(ev.loss! - st.losses[0])).toBeLessThanOrEqual(1e-6);
    const after = await r.evaluate({ x: batches[2].x });
    expect(after.loss).toBeUndefined();
    expect(maxAbs(Array.from(after.logits), Array.from(ev.logits))).toBeGreaterThan(1e-4); // saw the update
    await r.release();
  });
});

async function accuracy(r: Runner, batch: MicroBatch, labels: number[]): Promise<number> {
  const { logits, dims } = await r.evaluate({ x: batch.x });
  let hit = 0;
  for (let i = 0; i < dims[0]; i++) {
    const row = logits.subarray(i * dims[1], (i + 1) * dims[1]);
    if (row.indexOf(Math.max(...row)) === labels[i]) hit++;
  }
  return hit / dims[0];
}
