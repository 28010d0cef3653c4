// Each optimizer piece against numbers computed here in plain JS (double), from the torch formulas.
import { adamw } from '../../src/optim/adamw.js';
import { clipGradNorm } from '../../src/optim/clip.js';
import { sgd } from '../../src/optim/sgd.js';
import type { GraphOptimizer } from '../../src/optim/types.js';
import { Graph } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import type { ParamSpec } from '../../src/engine/contract.js';

interface P {
  spec: ParamSpec;
  p: number[];
  grad: number[];
  state: number[][];
}

async function runPiece(opt: GraphOptimizer, ps: P[], lr: number, t: number) {
  const g = new Graph('opt');
  const lrV = g.input('lr', 'float64', []),
    tV = g.input('t', 'float64', []);
  const ins = ps.map(({ spec }) => ({
    spec,
    p: g.input(spec.name, 'float32', spec.shape),
    grad: g.input(`g.${spec.name}`, 'float32', spec.shape),
    state: opt.slots.map((s) => g.input(`${s}.${spec.name}`, 'float32', spec.shape)),
  }));
  const outs = opt.update(g, ins, { lr: lrV, t: tV });
  outs.forEach((o, i) => {
    g.output(o.p, `out.${ps[i].spec.name}`);
    o.state.forEach((v, j) => g.output(v, `out.${opt.slots[j]}.${ps[i].spec.name}`));
  });
  const s = await sessionFor(g);
  const feeds: Record<string, ReturnType<typeof tensor>> = {
    lr: tensor('float64', Float64Array.of(lr), []),
    t: tensor('float64', Float64Array.of(t), []),
  };
  for (const q of ps) {
    feeds[q.spec.name] = tensor('float32', Float32Array.from(q.p), q.spec.shape);
    feeds[`g.${q.spec.name}`] = tensor('float32', Float32Array.from(q.grad), q.spec.shape);
    opt.slots.forEach((sl, j) => {
      feeds[`${sl}.${q.spec.name}`] = tensor('float32', Float32Array.from(q.state[j]), q.spec.shape);
    });
  }
  const r = await s.run(feeds);
  return ps.map((q) => ({
    p: Array.from(r[`out.${q.spec.name}`].data as Float32Array),
    state: opt.slots.map((sl) => Array.from(r[`out.${sl}.${q.spec.name}`].data as Float32Array)),
  }));
}

const close = (got: number[], want: number[], tol = 1e-6) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]))));
};

// f32 rounding of the inputs, so the JS reference starts from the same numbers as the graph
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe('AdamW (torch.optim.AdamW semantics)', () => {
  const W: ParamSpec = { name: 'w', shape: [2, 2], decay: true };
  const B: ParamSpec = { name: 'b', shape: [2], decay: false };

  function reference(
    p: number[],
    gr: number[],
    m: number[],
    v: number[],
    lr: number,
    t: number,
    wd: number,
    decay: boolean,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8,
  ) {
    const bc1 = 1 - b1 ** t,
      bc2 = 1 - b2 ** t;
    const outP: number[] = [],
      outM: number[] = [],
      outV: number[] = [];
    p.forEach((x, i) => {
      const x0 = decay ? x * (1 - lr * wd) : x;
      const mi = b1 * m[i] + (1 - b1) * gr[i];
      const vi = b2 * v[i] + (1 - b2) * gr[i] * gr[i];
      const mhat = mi / bc1,
        vhat = vi / bc2;
      outP.push(x0 - (lr * mhat) / (Math.sqrt(vhat) + eps));
      outM.push(mi);
      outV.push(vi);
    });
    return { p: outP, m: outM, v: outV };
  }

  test('first step (t=1) with decay on the weight only, large weight decay so it shows', async () => {
    const w = { p: f32([0.5, -1.25, 2, 0.1]), grad: f32([0.3, -0.2, 1e-4, -2]) };
    const b = { p: f32([0.7, -0.3]), grad: f32([0.05, 0.4]) };
    const zeros = (n: number) => [Array(n).fill(0), Array(n).fill(0)];
    const lr = 0.01,
      wd = 0.5;
    const [ow, ob] = await runPiece(
      adamw({ weightDecay: wd }),
      [
        { spec: W, ...w, state: zeros(4) },
        { spec: B, ...b, state: zeros(2) },
      ],
      lr,
      1,
    );
    const rw = reference(w.p, w.grad, [0, 0, 0, 0], [0, 0, 0, 0], lr, 1, wd, true);
    const rb = reference(b.p, b.grad, [0, 0], [0, 0], lr, 1, wd, false);
    close(ow.p, rw.p);
    close(ow.state[0], rw.m);
    close(ow.state[1], rw.v);
    close(ob.p, rb.p);
    close(ob.state[0], rb.m);
    close(ob.state[1], rb.v);
    // decay really applied to w and not to b: at t=1 Adam moves each element by ~lr*sign(g)
    expect(Math.abs(ow.p[0] - (0.5 * (1 - lr * wd) - lr))).toBeLessThan(1e-6);
    expect(Math.abs(ob.p[0] - (0.7 - lr))).toBeLessThan(1e-6);
  });

  test('a later step (t=7) with existing moments, custom betas and eps', async () => {
    const p = f32([1, -2, 3, -4]),
      grad = f32([0.1, 0.2, -0.3, 0.4]);
    const m = f32([0.01, -0.02, 0.03, 0.5]),
      v = f32([1e-4, 4e-4, 9e-4, 1e-6]);
    const cfg = { beta1: 0.8, beta2: 0.99, eps: 1e-3, weightDecay: 0.1 };
    const [o] = await runPiece(adamw(cfg), [{ spec: W, p, grad, state: [m, v] }], 3e-3, 7);
    const r = reference(p, grad, m, v, 3e-3, 7, 0.1, true, 0.8, 0.99, 1e-3);
    close(o.p, r.p);
    close(o.state[0], r.m);
    close(o.state[1], r.v);
  });

  test('rejects invalid hyper-parameters', () => {
    expect(() => adamw({ beta1: 1 })).toThrow(/beta1/);
    expect(() => adamw({ eps: 0 })).toThrow(/eps/);
  });
});

describe('SGD (torch.optim.SGD semantics)', () => {
  const W: ParamSpec = { name: 'w', shape: [3], decay: true };
  const B: ParamSpec = { name: 'b', shape: [3], decay: false };
  const p = f32([0.5, -1, 2]),
    grad = f32([0.2, -0.4, 0.1]),
    buf = f32([0.3, 0.3, -0.1]);

  test('momentum + coupled weight decay on decay params, nesterov', async () => {
    const [lr, mu, wd] = [0.1, 0.9, 0.01];
    const [ow, ob] = await runPiece(
      sgd({ momentum: mu, weightDecay: wd, nesterov: true }),
      [
        { spec: W, p, grad, state: [buf] },
        { spec: B, p, grad, state: [buf] },
      ],
      lr,
      3,
    );
    const ref = (decay: boolean) =>
      p.map((x, i) => {
        const d = grad[i] + (decay ? wd * x : 0);
        const b = mu * buf[i] + d;
        return { p: x - lr * (d + mu * b), b };
      });
    close(
      ow.p,
      ref(true).map((r) => r.p),
    );
    close(
      ow.state[0],
      ref(true).map((r) => r.b),
    );
    close(
      ob.p,
      ref(false).map((r) => r.p),
    );
    close(
      ob.state[0],
      ref(false).map((r) => r.b),
    );
  });

  test('first step from a zero buffer equals torch (buf = grad), plain SGD has no state', async () => {
    const [o] = await runPiece(sgd({ momentum: 0.9 }), [{ spec: W, p, grad, state: [[0, 0, 0]] }], 0.5, 1);
    close(o.state[0], grad);
    close(
      o.p,
      p.map((x, i) => x - 0.5 * grad[i]),
    );
    const plain = sgd();
    expect(plain.slots).toEqual([]);
    const [q] = await runPiece(plain, [{ spec: W, p, grad, state: [] }], 0.5, 1);
    close(
      q.p,
      p.map((x, i) => x - 0.5 * grad[i]),
    );
  });
});

describe('global-norm clipping (torch clip_grad_norm_)', () => {
  async function clip(grads: number[][], maxNorm: number) {
    const g = new Graph('clip');
    const vs = grads.map((d, i) => g.input(`g${i}`, 'float32', [d.length]));
    const r = clipGradNorm(g, vs, maxNorm);
    r.grads.forEach((d, i) => g.output(d, `out${i}`));
    g.output(r.norm, 'norm');
    const s = await sessionFor(g);
    const out = await s.run(
      Object.fromEntries(grads.map((d, i) => [`g${i}`, tensor('float32', Float32Array.from(d), [d.length])])),
    );
    return {
      grads: grads.map((_, i) => Array.from(out[`out${i}`].data as Float32Array)),
      norm: Number(out.norm.data[0]),
    };
  }
  const grads = [
    [3, 0],
    [0, 4, 0],
  ]; // total norm 5

  test('scales every gradient by max_norm/(norm+1e-6) when that is < 1', async () => {
    const r = await clip(grads, 1);
    expect(r.norm).toBeCloseTo(5, 6);
    const coef = 1 / (5 + 1e-6);
    close(r.grads[0], [3 * coef, 0]);
    close(r.grads[1], [0, 4 * coef, 0]);
  });

  test('leaves gradients alone when the norm is under the limit, and when clipping is disabled', async () => {
    close((await clip(grads, 10)).grads[1], [0, 4, 0], 0);
    const off = await clip(grads, 0);
    close(off.grads[0], [3, 0], 0);
    expect(off.norm).toBeCloseTo(5, 6);
  });
});
