// Structure and train/eval semantics of the BERT graph: every Linear is Gemm(x, W, b, transB=1) on
// the HF weight itself (no per-step weight transposes), dropout only in training, `dropout`
// override, and loadModel end to end from a local dir.
import { DRAW_NODE_PREFIX } from '../../src/models/dropout.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertModel, parseBertConfig } from '../../src/models/bert/index.js';
import { loadModel } from '../../src/models/load.js';
import { Graph, type Value } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { tinyConfigJson, writeTinyModel } from './tiny-model.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bert-graph-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(model: BertModel, train: boolean) {
  const g = new Graph('t');
  const params = new Map(model.params.map((p) => [p.name, g.input(p.name, 'float32', p.shape)]));
  const batch: Record<string, Value> = Object.fromEntries(
    model.batchInputs.map((b) => [b.name, g.input(b.name, b.dtype, b.shape)]),
  );
  const out = model.forward(g, params, batch, { train, draw: () => g.constant('int64', [0], []) });
  g.output(out.loss!, 'loss');
  g.output(out.logits, 'logits');
  return { g, params, out };
}

test('Linear layers are Gemm(transB=1) straight on the [out, in] parameters; hidden states are 2-D', () => {
  const model = new BertModel(parseBertConfig(tinyConfigJson()), 2);
  const { g, params, out } = build(model, false);
  const gemms = g.nodes.filter((n) => n.opType === 'Gemm');
  expect(gemms.length).toBe(2 * 6 + 2);
  const weights = new Set(
    [...params]
      .filter(([k]) => k.endsWith('.weight') && !k.includes('LayerNorm') && !k.includes('embeddings'))
      .map(([, v]) => v),
  );
  for (const n of gemms) {
    expect(n.attrs.transB).toBe(1);
    expect(weights.has(n.inputs[1]!)).toBe(true);
    expect(n.inputs[0]!.rank).toBe(2);
  }
  // no parameter is ever transposed
  expect(g.nodes.filter((n) => n.opType === 'Transpose' && [...params.values()].includes(n.inputs[0]!))).toEqual([]);
  expect(out.logits.shape).toEqual(['batch', 2]);
  expect(g.nodes.filter((n) => n.opType === 'Dropout')).toEqual([]);
});

test('dropout: active in training (config rate), off in eval, removed by the dropout=0 override', async () => {
  const { config, weights } = writeTinyModel(join(dir, 'd'), { labels: 2 });
  const feeds = (model: BertModel) => {
    const f: Record<string, ReturnType<typeof tensor>> = {};
    for (const p of model.params) f[p.name] = tensor('float32', weights.get(p.name)!, p.shape);
    const ids = BigInt64Array.from([2n, 7n, 11n, 9n, 3n, 2n, 8n, 14n, 3n, 0n]);
    f.input_ids = tensor('int64', ids, [2, 5]);
    f.attention_mask = tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]), [2, 5]);
    f.token_type_ids = tensor('int64', new BigInt64Array(10), [2, 5]);
    f.labels = tensor('int64', BigInt64Array.from([0n, 1n]), [2]);
    return f;
  };
  const loss = async (model: BertModel, train: boolean) => {
    const { g } = build(model, train);
    const s = await sessionFor(g);
    const r = Number((await s.run(feeds(model))).loss.data[0]);
    await s.release();
    // one stream of draws (a counter Range) per dropout site
    return { r, dropouts: g.nodes.filter((n) => n.opType === 'Range' && n.name.startsWith(DRAW_NODE_PREFIX)).length };
  };
  const base = new BertModel(config, 2, { seed: 3 });
  const evalLoss = await loss(base, false);
  const trainLoss = await loss(base, true);
  expect(trainLoss.dropouts).toBe(1 + 2 * 3 + 1); // embeddings, per layer (probs, attn out, ffn out), pooled
  expect(Math.abs(trainLoss.r - evalLoss.r)).toBeGreaterThan(1e-4);
  const off = await loss(new BertModel(config, 2, { dropout: 0 }), true);
  expect(off.dropouts).toBe(0);
  expect(off.r).toBeCloseTo(evalLoss.r, 6);
});

test('loadModel: local dir -> config, model sized by the data labels, weights with the HF report', async () => {
  writeTinyModel(join(dir, 'm'), { labels: 2 });
  const b = await loadModel({
    modelNameOrPath: join(dir, 'm'),
    labels: ['a', 'b', 'c'],
    cacheDir: join(dir, 'cache'),
    seed: 9,
    dropout: 0.2,
  });
  expect(b.model.numLabels).toBe(3);
  expect((b.model.base as BertModel).rates).toEqual({ embeddings: 0.2, attention: 0.2, hidden: 0.2, classifier: 0.2 });
  expect(b.report.mismatched.map((m) => m.name)).toEqual(['classifier.weight', 'classifier.bias']);
  expect(b.weights.get('classifier.weight')!.length).toBe(3 * 16);
  await expect(
    loadModel({ modelNameOrPath: join(dir, 'm'), labels: ['only'], cacheDir: dir, seed: 1 }),
  ).rejects.toThrow(/at least 2 labels/);
});

test('dropout survives ORT optimisation in the train-step graph (lr 0 step loss differs from eval loss)', async () => {
  const { Runner } = await import('../../src/engine/runner.js');
  const { config, weights } = writeTinyModel(join(dir, 'r'), { labels: 2 });
  const dims = [2, 5];
  const batch = {
    input_ids: { data: BigInt64Array.from([2n, 7n, 11n, 9n, 3n, 2n, 8n, 14n, 3n, 0n]), dims },
    attention_mask: { data: BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]), dims },
    token_type_ids: { data: new BigInt64Array(10), dims },
    labels: { data: BigInt64Array.from([0n, 1n]), dims: [2] },
  };
  const losses = async (dropout?: number) => {
    const runner = await Runner.create(new BertModel(config, 2, { dropout, seed: 1 }), {
      optimizer: { kind: 'adamw' },
      maxGradNorm: 0,
      params: weights,
      loop: false,
    });
    const step = (await runner.step([batch], [0])).losses[0];
    const ev = (await runner.evaluate(batch)).loss!;
    await runner.release();
    return { step, ev };
  };
  const on = await losses(0.3);
  expect(Math.abs(on.step - on.ev)).toBeGreaterThan(1e-4);
  const off = await losses(0);
  expect(off.step).toBeCloseTo(off.ev, 5);
});
