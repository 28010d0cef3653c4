// The autodiff driver: which nodes get gradients, and that every gradient op has its check.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradients } from '../../src/autodiff/backward.js';
import { GRADIENT_OPS } from '../../src/autodiff/gradients/index.js';
import { Graph, type Value } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';

/** loss = sum(tanh(x @ w) + extra), where `extra` is built by `side` (which may add unrelated branches). */
function build(side: (g: Graph, w: Value) => Value) {
  const g = new Graph('driver');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.input('w', 'float32', [3, 4]);
  const extra = side(g, w);
  const loss = g.op('ReduceSum', [g.op('Add', [g.op('Tanh', [g.op('MatMul', [x, w])]), extra])], { keepdims: 0 });
  const before = g.nodes.length;
  const [dw] = gradients(loss, [w]);
  return { g, added: g.nodes.slice(before), dw };
}

describe('autodiff driver', () => {
  test('emits gradient nodes only on paths from the parameters to the loss', () => {
    const plain = build((g) => g.input('c', 'float32', [2, 4]));
    const busy = build((g, w) => {
      // a branch from the parameter that never reaches the loss
      g.output(g.op('Exp', [g.op('Mul', [w, w])]), 'side_output');
      // a branch that reaches the loss but does not depend on the parameter
      const c = g.input('c', 'float32', [2, 4]);
      return g.op('Sigmoid', [g.op('Log', [g.op('Exp', [c])])]);
    });
    expect(busy.added.length).toBe(plain.added.length);
    expect(busy.added.map((n) => n.opType)).toEqual(plain.added.map((n) => n.opType));
    // none of the gradient nodes reads a value of the two extra branches
    const extraValues = new Set(
      busy.g.nodes
        .filter((n) => ['Exp', 'Log', 'Sigmoid'].includes(n.opType) && !busy.added.includes(n))
        .flatMap((n) => n.outputs),
    );
    expect(extraValues.size).toBe(4); // Exp, Exp, Log, Sigmoid outputs (and the Mul of the side branch is below)
    for (const n of busy.added) for (const v of n.inputs) expect(v && extraValues.has(v)).toBeFalsy();
    const sideMul = busy.g.nodes.find((n) => n.opType === 'Mul' && !busy.added.includes(n))!;
    for (const n of busy.added) expect(n.inputs).not.toContain(sideMul.outputs[0]);
  });

  test('integer branches stop gradients: an ArgMax/Cast path adds no gradient nodes', () => {
    const plain = build((g) => g.input('c', 'float32', [2, 4]));
    const withInt = build((g, w) => {
      const idx = g.op('ArgMax', [w], { axis: 0, keepdims: 1 }); // depends on w, but int64
      return g.op('Add', [g.input('c', 'float32', [2, 4]), g.op('Cast', [idx], { to: 1 })]);
    });
    expect(withInt.added.length).toBe(plain.added.length);
  });

  test('every registered op gradient has a finite-difference check named after it', () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const titles = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'driver.test.ts')
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\btest\('([^']+)'/g)].map((m) => m[1]));
    const missing = GRADIENT_OPS.filter((op) => !titles.some((t) => new RegExp(`\\b${op}\\b`).test(t)));
    expect(missing).toEqual([]);
    expect(GRADIENT_OPS.length).toBeGreaterThanOrEqual(38);
  });
});

describe('autodiff driver: seeds and checks', () => {
  test('a non-scalar loss is seeded with ones (the gradient of its sum)', async () => {
    const g = new Graph('vec');
    const w = g.input('w', 'float64', [3]);
    const loss = g.op('Mul', [w, w]); // [3]
    g.output(gradients(loss, [w])[0], 'dw');
    const s = await sessionFor(g);
    const out = await s.run({ w: tensor('float64', Float64Array.from([1, -2, 0.5]), [3]) });
    expect(Array.from(out.dw.data as Float64Array)).toEqual([2, -4, 1]);
    await s.release();
  });
});
