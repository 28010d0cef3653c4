// Mixed precision in the step graph on the CPU device (allowed explicitly: the same graphs a GPU
// runs): float16 BERT tracks float32, dynamic loss scaling skips non-finite steps bit for bit,
// halves and grows the scale as torch's GradScaler does, K steps per run equal single steps, and
// the scaler state round-trips through exportState/importState.
import { BertModel } from '../../src/models/bert/index.js';
import { initWeights } from '../../src/models/weights.js';
import { Runner, type RunnerOptions } from '../../src/engine/runner.js';
import { MODEL_FAMILIES } from '../../src/models/registry.js';
import { TaskModel } from '../../src/models/task.js';
import { MODEL_TYPES, tinyEncoderConfig } from '../helpers/encoder-models.js';
import { tinyBertBatch, tinyBertConfig } from '../helpers/tiny-bert.js';

/** The bytes of a typed array (its own range, not the whole buffer it views). */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const cfg = tinyBertConfig();
const model = new BertModel(cfg, 3, { dropout: 0.1, seed: 3 });
/** Without dropout: a fresh session draws its masks from the start of the stream, so runs compared across sessions need none. */
const plain = new BertModel(cfg, 3, { dropout: 0 });

const batch = tinyBertBatch;

const optimizer = { kind: 'adamw' as const, eps: 1e-8, weightDecay: 0.01 };
const params = () => initWeights(model, 7);

async function runner(o: Partial<RunnerOptions> = {}, m = model): Promise<Runner> {
  return Runner.create(m, { optimizer, maxGradNorm: 1, params: params(), allowCpuMixedPrecision: true, ...o });
}

const lr = 1e-3;

/** Every value of the training state, params and moments, by name. */
async function flatState(r: Runner): Promise<Map<string, Float32Array>> {
  const s = await r.exportState();
  return new Map([...s.params, ...s.optimizer]);
}

function expectStateEqual(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) expect(bytes(b.get(k)!).equals(bytes(v))).toBe(true);
}

test('the float16 train graph: matmuls in float16, LayerNorm, softmax and the loss in float32', async () => {
  const r = await runner({ precision: { compute: 'float16' }, loop: false });
  const nodes = r.stepGraph.graph.nodes;
  const typeOf = (op: string) => [...new Set(nodes.filter((n) => n.opType === op).map((n) => n.inputs[0]!.dtype))];
  expect(typeOf('Gemm')).toEqual(['float16']);
  expect(typeOf('MatMul')).toEqual(['float16']);
  expect(typeOf('LayerNormalization')).toEqual(['float32']);
  expect(typeOf('Softmax')).toEqual(['float32']);
  expect(typeOf('SoftmaxCrossEntropyLoss')).toEqual(['float32']);
  expect(typeOf('Gelu')).toEqual(['float16']);
  // The state and the outputs the runner reads stay float32 (master weights and moments).
  expect(new Set(r.stepGraph.graph.inputs.filter((v) => v.name.includes(':')).map((v) => v.dtype))).toEqual(
    new Set(['float32']),
  );
  await r.release();
});

test('float16 BERT tracks float32 over 20 steps (within 2e-2 relative per step), dropout on', async () => {
  const fp32 = await runner();
  const fp16 = await runner({ precision: { compute: 'float16' } });
  let worst = 0;
  for (let i = 0; i < 20; i++) {
    const b = [batch(i)];
    const a = await fp32.step(b, [lr]);
    const h = await fp16.step(b, [lr]);
    expect(h.skipped).toEqual([false]);
    expect(h.lossScales).toEqual([2 ** 16]);
    worst = Math.max(worst, Math.abs(h.losses[0] - a.losses[0]) / a.losses[0]);
    expect(Math.abs(h.gradNorms[0] - a.gradNorms[0]) / a.gradNorms[0]).toBeLessThan(2e-2);
  }
  expect(worst).toBeLessThan(2e-2);
  // Not float32 in disguise: the float16 roundings show.
  expect(worst).toBeGreaterThan(0);
  await Promise.all([fp32.release(), fp16.release()]);
});

test('forced overflow (initial scale 2^40): skipped steps keep weights and moments bit for bit and do not advance the step counter (one step per run, and K steps in one run); the scale comes down, training proceeds', async () => {
  const r = await runner({ precision: { compute: 'float16' }, initScale: 2 ** 40, loop: false }, plain);
  const before = await flatState(r);
  const skipped: boolean[] = [];
  const scales: number[] = [];
  let i = 0;
  for (; i < 40; i++) {
    const out = await r.step([batch(i)], [lr]);
    skipped.push(...out.skipped!);
    scales.push(...out.lossScales!);
    if (!out.skipped![0]) break;
    expectStateEqual(await flatState(r), before);
    expect(Number.isFinite(out.gradNorms[0])).toBe(false);
  }
  const s = skipped.filter(Boolean).length;
  // Each skipped step halved the scale. (How many overflow depends on where the device rounds to
  // float16: ORT's CPU provider computes between our casts in float32, so fewer than on a GPU.)
  expect(s).toBeGreaterThanOrEqual(5);
  expect(skipped).toEqual([...Array(s).fill(true), false]);
  expect(scales).toEqual(Array.from({ length: s + 1 }, (_, k) => 2 ** (40 - k)));
  expect(r.skippedSteps).toBe(s);
  expect(r.globalStep).toBe(s + 1);
  // The first finite step changed the weights.
  const after = await flatState(r);
  expect(() => expectStateEqual(after, before)).toThrow();
  expect((await r.exportState()).scaler).toEqual({ scale: 2 ** (40 - s), growthTracker: 1, skipped: s });

  // What the skipped steps left equals a fresh run started at the scale they came down to (AdamW's
  // step counter did not advance): the next steps agree bit for bit.
  const fresh = await runner({ precision: { compute: 'float16' }, initScale: 2 ** (40 - s), loop: false }, plain);
  const f0 = await fresh.step([batch(i)], [lr]);
  expect(f0.skipped).toEqual([false]);
  expectStateEqual(await flatState(fresh), await flatState(r));
  for (let j = i + 1; j < i + 4; j++) {
    const a = await r.step([batch(j)], [lr]);
    const b = await fresh.step([batch(j)], [lr]);
    expect(a.losses).toEqual(b.losses);
  }
  expectStateEqual(await flatState(fresh), await flatState(r));

  // The same steps with the Scan graph, one run per step (the runner feeds the counter) and all in
  // one run (the counter is carried inside the graph, and the skipped steps must not advance it
  // there either: AdamW's bias correction would change the first update by half).
  const n = i + 4;
  const scan = () => runner({ precision: { compute: 'float16' }, initScale: 2 ** 40 }, plain);
  const [perStep, oneRun] = [await scan(), await scan()];
  for (let j = 0; j < n; j++) await perStep.step([batch(j)], [lr]);
  const all = await oneRun.step(
    Array.from({ length: n }, (_, j) => batch(j)),
    Array(n).fill(lr),
  );
  expect(all.skipped).toEqual([...Array(s).fill(true), ...Array(n - s).fill(false)]);
  expectStateEqual(await flatState(oneRun), await flatState(perStep));
  await Promise.all([perStep.release(), oneRun.release()]);
  await Promise.all([r.release(), fresh.release()]);
});

test('the scale doubles after growthInterval finite steps; K steps per run equal single steps, skips included', async () => {
  const scaler = { growthInterval: 3 };
  const single = await runner({ precision: { compute: 'float16', scaler }, initScale: 2 ** 36, loop: false });
  const looped = await runner({ precision: { compute: 'float16', scaler }, initScale: 2 ** 36 });
  const a = { losses: [] as number[], skipped: [] as boolean[], scales: [] as number[] };
  for (let i = 0; i < 24; i++) {
    const o = await single.step([batch(i)], [lr]);
    a.losses.push(...o.losses);
    a.skipped.push(...o.skipped!);
    a.scales.push(...o.lossScales!);
  }
  // 2^36 overflows float16 and halves until a scale holds; after 3 finite steps in a row it doubles.
  const firstFinite = a.skipped.indexOf(false);
  expect(firstFinite).toBeGreaterThan(0);
  expect(a.skipped.slice(firstFinite, firstFinite + 3)).toEqual([false, false, false]);
  const base = 2 ** (36 - firstFinite);
  expect(a.scales.slice(firstFinite, firstFinite + 4)).toEqual([base, base, base, base * 2]);
  const b = { losses: [] as number[], skipped: [] as boolean[], scales: [] as number[] };
  for (const k of [4, 1, 5, 8, 6]) {
    const start = b.losses.length;
    const o = await looped.step(
      Array.from({ length: k }, (_, j) => batch(start + j)),
      Array(k).fill(lr),
    );
    b.losses.push(...o.losses);
    b.skipped.push(...o.skipped!);
    b.scales.push(...o.lossScales!);
  }
  expect(b).toEqual(a);
  expectStateEqual(await flatState(looped), await flatState(single));
  expect((await looped.exportState()).scaler).toEqual((await single.exportState()).scaler);
  await Promise.all([single.release(), looped.release()]);
});

test('exportState/importState carry the scaler: a resumed run continues bit for bit', async () => {
  const scaler = { growthInterval: 2 };
  const a = await runner({ precision: { compute: 'float16', scaler }, initScale: 2 ** 36 }, plain);
  for (let i = 0; i < 24; i++) await a.step([batch(i)], [lr]);
  const saved = await a.exportState();
  expect(saved.scaler!.skipped).toBeGreaterThan(0);
  const b = await runner({ precision: { compute: 'float16', scaler } }, plain);
  b.importState(saved);
  expect((await b.exportState()).scaler).toEqual(saved.scaler);
  expect(b.skippedSteps).toBe(saved.scaler!.skipped);
  for (let i = 24; i < 28; i++) {
    const x = await a.step([batch(i)], [lr]);
    const y = await b.step([batch(i)], [lr]);
    expect(y).toEqual(x);
  }
  expectStateEqual(await flatState(b), await flatState(a));
  // A float32 checkpoint resumed in mixed precision starts a fresh scaler; a bad one is refused.
  const c = await runner({ precision: { compute: 'float16' }, initScale: 2 ** 10 }, plain);
  c.importState({ ...saved, scaler: undefined });
  expect((await c.exportState()).scaler).toEqual({ scale: 2 ** 10, growthTracker: 0, skipped: 0 });
  expect(() => c.importState({ ...saved, scaler: { scale: -1, growthTracker: 0, skipped: 0 } })).toThrow(
    /loss scaler .* is invalid/,
  );
  await Promise.all([a.release(), b.release(), c.release()]);
});

test('mixed precision on the CPU device is refused unless asked for explicitly; bfloat16 on WebGPU names the device', async () => {
  await expect(
    Runner.create(model, { optimizer, params: params(), precision: { compute: 'float16' } }),
  ).rejects.toThrow(
    /--precision 16-mixed is not supported on the CPU device: .*use --precision 32 on the CPU, or train on a GPU/,
  );
  await expect(
    Runner.create(model, {
      optimizer,
      params: params(),
      precision: { compute: 'bfloat16' },
      allowCpuMixedPrecision: true,
    }),
  ).rejects.toThrow(/--precision bf16-mixed is not supported on the CPU device/);
  await expect(
    Runner.create(model, { optimizer, params: params(), device: 'webgpu', precision: { compute: 'bfloat16' } }),
  ).rejects.toThrow(/--precision bf16-mixed is not supported on webgpu: WebGPU has no bfloat16 type/);
});

test.each(MODEL_TYPES.filter((t) => t !== 'bert'))(
  'float16 %s trains and tracks float32 (5 steps, within 2e-2)',
  async (type) => {
    const family = MODEL_FAMILIES.find((f) => f.modelTypes.includes(type))!;
    const enc = new TaskModel(
      family.create(family.parseConfig(tinyEncoderConfig(type, 50, 1, 32), `${type} config.json`), 3, {
        dropout: 0,
      }),
    );
    const init = new Map(enc.params.map((p, i) => [p.name, enc.initParam(p, i)]));
    const make = (o: Partial<RunnerOptions>) =>
      Runner.create(enc, { optimizer, maxGradNorm: 1, params: init, allowCpuMixedPrecision: true, ...o });
    const fp32 = await make({});
    const fp16 = await make({ precision: { compute: 'float16' } });
    // ids >= 2: 1 is the pad id here.
    const feeds = (seed: number) => {
      const b = batch(seed);
      return {
        input_ids: b.input_ids,
        attention_mask: b.attention_mask,
        ...(enc.batchInputs.some((x) => x.name === 'token_type_ids') ? { token_type_ids: b.token_type_ids } : {}),
        labels: b.labels,
      };
    };
    for (let i = 0; i < 5; i++) {
      const a = await fp32.step([feeds(i)], [lr]);
      const h = await fp16.step([feeds(i)], [lr]);
      expect(h.skipped).toEqual([false]);
      expect(Math.abs(h.losses[0] - a.losses[0]) / a.losses[0]).toBeLessThan(2e-2);
    }
    await Promise.all([fp32.release(), fp16.release()]);
  },
);
