// StopGradient (torch's .detach()): an Identity node named StopGradient passes its value on and no
// gradient back, so w gets the gradient of the other path only; ORT runs it as a plain Identity.
import { gradients, isStopGradient, stopGradient } from '../../src/autodiff/backward.js';
import { Graph } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';

test('StopGradient: y = w * sg(w) has dy/dw = sg(w) (not 2w); the value is still w * w', async () => {
  const g = new Graph('sg');
  const w = g.input('w', 'float64', [3]);
  const d = stopGradient(g, w);
  expect(isStopGradient(d.producer!)).toBe(true);
  const y = g.op('ReduceSum', [g.op('Mul', [w, d])], { keepdims: 0 });
  g.output(y, 'y');
  g.output(gradients(y, [w])[0], 'dw');
  const s = await sessionFor(g);
  const out = await s.run({ w: tensor('float64', Float64Array.from([1, -2, 0.5]), [3]) });
  expect(Number(out.y.data[0])).toBe(1 + 4 + 0.25);
  expect(Array.from(out.dw.data as Float64Array)).toEqual([1, -2, 0.5]);
  await s.release();
});

test('StopGradient: a loss that reaches the parameters only through it has no gradient (a clear error)', () => {
  const g = new Graph('sg2');
  const w = g.input('w', 'float32', [2]);
  const y = g.op('ReduceSum', [stopGradient(g, w)], { keepdims: 0 });
  expect(() => gradients(y, [w])).toThrow(/does not depend on any of the parameters/);
});

test('only Identity nodes named StopGradient[_n] stop gradients', () => {
  const g = new Graph('names');
  const w = g.input('w', 'float32', [2]);
  const plain = g.op('Identity', [w], {}, { name: 'StopGradientish' });
  const second = stopGradient(g, stopGradient(g, w));
  expect(isStopGradient(plain.producer!)).toBe(false);
  expect(second.producer!.name).toMatch(/^StopGradient_\d+$/);
  expect(isStopGradient(second.producer!)).toBe(true);
  const y = g.op('ReduceSum', [g.op('Mul', [plain, second])], { keepdims: 0 });
  expect(gradients(y, [w])).toHaveLength(1);
});
