// The q8 and fp16 exports of the graph builder: ONNX Runtime's quantize_dynamic arithmetic for the
// weights (per-tensor symmetric int8, scale absmax/127, zero point 0, numpy's half-to-even
// rounding), its graph form (DynamicQuantizeLinear + MatMulInteger for every constant-weight
// Gemm/MatMul, Gather + DequantizeLinear for every embedding table), and both files running in
// ONNX Runtime with logits close to float32's.
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import onnxProto from 'onnx-proto';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/index.js';
import { loadWeights } from '../../src/models/weights.js';
import { buildInferenceGraph, exportBytes } from '../../src/models/export.js';
import { quantizeWeight } from '../../src/onnx/quantize.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { tinyConfigJson, writeTinyModel } from '../models/tiny-model.js';

const T = onnxProto.onnx.TensorProto.DataType;

let root: string;
let model: BertModel;
let weights: Map<string, Float32Array>;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'quantize-'));
  writeTinyModel(join(root, 'base'), { labels: 3, seed: 5 });
  const cfg = parseBertConfig(tinyConfigJson(3));
  model = new BertModel(cfg, 3);
  weights = loadWeights(join(root, 'base', 'model.safetensors'), model, { seed: 1 }).values;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('weights: per tensor, symmetric, scale max|w|/127, zero point 0, halves rounded to even, clipped to +-127', () => {
  // absmax 1 -> scale 2/254; 0.5*127 = 63.5 -> 64 (even), 0.25*127 = 31.75 -> 32, 0.5/127*127 = 0.5 -> 0
  const q = quantizeWeight(Float32Array.of(0.5, -1, 0.25, 0.5 / 127, 1.5 / 127, -2.5 / 127));
  expect(q.scale).toBe(Math.fround(Math.fround(2) / 254));
  expect(Array.from(q.data)).toEqual([64, -127, 32, 0, 2, -2]);
  // only positive values: the range still includes 0 (rmin = min(w, 0)); the largest maps to 127
  const p = quantizeWeight(Float32Array.of(0.1, 0.2, 0.4));
  expect(p.scale).toBe(Math.fround(Math.fround(0.8) / 254));
  expect(p.data[2]).toBe(127);
  // an all-zero weight: scale 1, as ORT does below float32's smallest normal
  expect(quantizeWeight(new Float32Array(4))).toEqual({ data: new Int8Array(4), scale: 1 });
});

function decode(bytes: Uint8Array) {
  const g = onnxProto.onnx.ModelProto.decode(bytes).graph!;
  const init = new Map(g.initializer!.map((t) => [t.name!, t]));
  return { g, init };
}

test('q8 graph form: every constant-weight Gemm is DynamicQuantizeLinear + MatMulInteger (int8 [K, N]), every table Gather is dequantized', () => {
  const fp32 = buildInferenceGraph(model, weights);
  const gemms = fp32.nodes.filter((n) => n.opType === 'Gemm').length;
  const { g, init } = decode(exportBytes(model, weights, 'q8'));
  const ops = (op: string) => g.node!.filter((n) => n.opType === op);
  expect(ops('Gemm')).toHaveLength(0);
  expect(ops('MatMulInteger')).toHaveLength(gemms);
  expect(ops('DequantizeLinear')).toHaveLength(3); // word, position and token type embeddings
  expect(ops('DynamicQuantizeLinear').length).toBeLessThan(gemms); // query, key, value share one input
  // no float32 matrix is left; LayerNorm and bias vectors stay float32 (as ORT leaves them)
  for (const t of init.values()) if (t.dataType === T.FLOAT) expect(t.dims!.length).toBeLessThanOrEqual(1);
  // the key weight: stored transposed ([in, out]) as int8 with its scale; dequantized it is W^T
  // (the query's scale also carries its Gemm's alpha, 1/sqrt(head size))
  const mm = ops('MatMulInteger').find(
    (n) => n.input![1] === 'bert.encoder.layer.0.attention.self.key.weight_quantized',
  )!;
  const b = init.get(mm.input![1]!)!;
  expect(b.dataType).toBe(T.INT8);
  const w = weights.get('bert.encoder.layer.0.attention.self.key.weight')!;
  const [outF, inF] = model.params.find((p) => p.name === 'bert.encoder.layer.0.attention.self.key.weight')!.shape;
  expect(b.dims!.map(Number)).toEqual([inF, outF]);
  const zp = init.get(mm.input![3]!)!;
  expect([zp.dataType, zp.rawData![0]]).toEqual([T.INT8, 0]);
  // the weight's scale initializer feeds the Mul of the two scales
  const scaleName = `${mm.input![1]!.replace(/_quantized$/, '')}_scale`;
  expect(g.node!.some((n) => n.opType === 'Mul' && n.input!.includes(scaleName))).toBe(true);
  // (rawData is a Buffer view into the decoded model: copy it before reading it as another type)
  const scale = new Float32Array(Uint8Array.from(init.get(scaleName)!.rawData!).buffer)[0]!;
  const q = new Int8Array(Uint8Array.from(b.rawData!).buffer);
  let worst = 0;
  for (let o = 0; o < outF; o++)
    for (let i = 0; i < inF; i++) worst = Math.max(worst, Math.abs(q[i * outF + o]! * scale - w[o * inF + i]!));
  expect(worst).toBeLessThanOrEqual(scale / 2 + 1e-7);
});

test('q8 and fp16 run in ONNX Runtime: float32 logits close to the float32 export, not equal to them', async () => {
  const B = 3,
    L = 9;
  const ids = BigInt64Array.from({ length: B * L }, (_, i) => BigInt(2 + ((i * 7) % 25)));
  const mask = BigInt64Array.from({ length: B * L }, (_, i) => (i % L < L - ((i / L) | 0) * 2 ? 1n : 0n));
  const feeds = () => ({
    input_ids: tensor('int64', ids, [B, L]),
    attention_mask: tensor('int64', mask, [B, L]),
    token_type_ids: tensor('int64', new BigInt64Array(B * L), [B, L]),
  });
  const run = async (bytes: Uint8Array) => {
    const s = await sessionFor(bytes);
    try {
      const out = (await s.run(feeds())).logits;
      expect(out.type).toBe('float32');
      return Float32Array.from(out.data as Float32Array);
    } finally {
      await s.release();
    }
  };
  const ref = await run(exportBytes(model, weights, 'fp32'));
  const range = Math.max(...ref) - Math.min(...ref);
  for (const [dtype, tol] of [
    // the tiny model's weights are large (initializer_range 0.5): int8 steps are coarse here; the
    // demo tests measure q8 on trained models (agreement, accuracy)
    ['q8', 0.15],
    ['fp16', 5e-3],
  ] as const) {
    const got = await run(exportBytes(model, weights, dtype));
    const diff = Math.max(...got.map((v, i) => Math.abs(v - ref[i]!)));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(tol * range);
  }
  // fp16: the weights are stored as float16, about half the float32 bytes
  const { init } = decode(exportBytes(model, weights, 'fp16'));
  for (const t of init.values()) if (t.dims!.length === 2) expect(t.dataType).toBe(T.FLOAT16);
});
