// The loss scaler's update, run as a graph, against torch.cuda.amp.GradScaler's documented rule
// (_amp_update_scale_) with torch's defaults: init_scale 2^16, growth_factor 2, backoff_factor 0.5,
// growth_interval 2000. The defaults are checked as behaviour, not read back from the constants.
import { initialScalerState, updateScaler } from '../../src/optim/loss-scale.js';
import { Graph } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';

/** [scale, growth tracker] after one step from `state`, with the scaler's default configuration. */
async function step(state: [number, number], finite: boolean): Promise<number[]> {
  const g = new Graph('scaler');
  const s = g.input('state', 'float32', [2]);
  const f = g.input('finite', 'bool', []);
  g.output(updateScaler(g, s, f), 'next');
  const session = await sessionFor(g);
  try {
    const out = await session.run({
      state: tensor('float32', Float32Array.from(state), [2]),
      finite: tensor('bool', Uint8Array.of(finite ? 1 : 0), []),
    });
    return Array.from(out.next.data as Float32Array);
  } finally {
    await session.release();
  }
}

test("torch's defaults: the scale starts at 2^16 and doubles on the 2000th finite step in a row, not before", async () => {
  expect(Array.from(initialScalerState())).toEqual([2 ** 16, 0]);
  expect(await step([1024, 0], true)).toEqual([1024, 1]);
  expect(await step([1024, 1998], true)).toEqual([1024, 1999]);
  expect(await step([1024, 1999], true)).toEqual([2048, 0]);
});

test('a non-finite step halves the scale and restarts the count; a grown scale that overflows is not taken', async () => {
  expect(await step([1024, 1999], false)).toEqual([512, 0]);
  expect(await step([1024, 7], false)).toEqual([512, 0]);
  // float32's largest power of two doubled is inf: the scale stays, the count restarts (torch too).
  expect(await step([2 ** 127, 1999], true)).toEqual([2 ** 127, 0]);
});
