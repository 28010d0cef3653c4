// Forward parity of every registered family with reference.py: a tiny model of the family's own
// config (test/helpers/encoder-models.ts), initialised by the reference, loaded through the
// registry (config.json -> family -> weights), gives the reference's eval logits on padded batches
// (a pad id inside one row too; sentence-pair token types where the model takes them) within 1e-5;
// loading reports nothing missing. ModernBERT adds its sliding-window and pooling variants.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInferenceGraph } from '../../src/models/export.js';
import { readModelConfig } from '../../src/models/registry.js';
import { loadWeights } from '../../src/models/weights.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { MODEL_TYPES, specialIds, tinyEncoderConfig } from '../helpers/encoder-models.js';
import { encoderBatches } from './encoder-fixtures.js';
import { BIAS_STD, jsonLines, reference, requireTorch } from './reference.js';
import { int64 } from './fixtures.js';

const rope = {
  full_attention: { rope_type: 'default', rope_theta: 160000 },
  sliding_attention: { rope_type: 'default', rope_theta: 10000 },
};
const CASES: { name: string; type: string; extra: Record<string, unknown> }[] = [
  ...MODEL_TYPES.map((type) => ({ name: type, type, extra: {} })),
  {
    name: 'modernbert (cls pooling, window 8, every 3rd layer global)',
    type: 'modernbert',
    extra: {
      num_hidden_layers: 3,
      local_attention: 8,
      layer_types: ['full_attention', 'sliding_attention', 'sliding_attention'],
      rope_parameters: rope,
    },
  },
  {
    name: 'modernbert (mean pooling, window 4, every 2nd layer global)',
    type: 'modernbert',
    extra: {
      num_hidden_layers: 3,
      classifier_pooling: 'mean',
      local_attention: 4,
      layer_types: ['full_attention', 'sliding_attention', 'full_attention'],
      rope_parameters: rope,
    },
  },
];

let dir: string;
beforeAll(() => {
  requireTorch();
  dir = mkdtempSync(join(tmpdir(), 'enc-fwd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('every registered model type is covered', () => {
  expect(new Set(CASES.map((c) => c.type))).toEqual(new Set(MODEL_TYPES));
});

test.each(CASES)('$name: logits within 1e-5 of reference.py forward', async (c) => {
  const model = join(dir, c.name);
  mkdirSync(model);
  const { pad, cls } = specialIds(c.type);
  writeFileSync(join(model, 'tiny.json'), JSON.stringify(tinyEncoderConfig(c.type, 1000, pad, 32, c.extra)));
  reference(['init', '--config', join(model, 'tiny.json'), '--out', model, '--labels', '3', '--bias-std', BIAS_STD]);
  const { family, config } = readModelConfig(join(model, 'config.json'));
  expect(config.modelType).toBe(c.type);
  const m = family.create(config, 3);
  const types = m.batchInputs.some((b) => b.name === 'token_type_ids');
  const batches = encoderBatches({
    count: 3,
    batch: 4,
    seq: 20,
    vocab: 1000,
    labels: 3,
    pad,
    cls,
    padInside: true,
    types,
  });
  writeFileSync(join(model, 'batches.json'), JSON.stringify(batches));
  const ref = jsonLines<{ logits: number[][] }>(
    reference(['forward', '--model', model, '--batches', join(model, 'batches.json')]),
  );
  const w = loadWeights(join(model, 'model.safetensors'), m, { seed: 1 });
  expect({ missing: w.missing, unexpected: w.unexpected, mismatched: w.mismatched }).toEqual({
    missing: [],
    unexpected: [],
    mismatched: [],
  });
  const session = await sessionFor(buildInferenceGraph(m, w.values));
  let worst = 0;
  for (const [i, b] of batches.entries()) {
    const dims = [b.input_ids.length, b.input_ids[0].length];
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor('int64', int64(b.input_ids), dims),
      attention_mask: tensor('int64', int64(b.attention_mask), dims),
    };
    if (types) feeds.token_type_ids = tensor('int64', int64(b.token_type_ids!), dims);
    const out = await session.run(feeds);
    const ours = Array.from(out.logits.data as Float32Array);
    const theirs = ref[i].logits.flat();
    expect(out.logits.dims).toEqual([4, 3]);
    for (let k = 0; k < ours.length; k++) worst = Math.max(worst, Math.abs(ours[k] - theirs[k]));
  }
  await session.release();
  console.log(`${c.name}: max |logit diff| ${worst.toExponential(2)}`);
  // Logits of an untrained model are ~0.1 in size; float32 sums differ by ~1e-7.
  expect(worst).toBeLessThan(1e-5);
  expect(Math.max(...ref.flatMap((r) => r.logits.flat().map(Math.abs)))).toBeGreaterThan(1e-3);
});
