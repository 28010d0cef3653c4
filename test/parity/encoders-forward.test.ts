// Forward parity of the encoder families with reference.py: a model written by `init`, loaded
// through the registry (config.json -> family -> weights), gives the reference's eval logits on
// padded batches (a pad id inside one row too) within 1e-5; loading reports nothing missing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInferenceGraph } from '../../src/models/export.js';
import { readModelConfig } from '../../src/models/registry.js';
import { loadWeights } from '../../src/models/weights.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { encoderBatches } from './encoder-fixtures.js';
import { BIAS_STD, jsonLines, reference, requireTorch } from './reference.js';
import { int64 } from './fixtures.js';

const CASES: { name: string; arch: string; init: string[]; pad: number; cls: number }[] = [
  { name: 'roberta', arch: 'roberta', init: [], pad: 1, cls: 0 },
  // the reference runs xlm-roberta with RoBERTa's code, as transformers does
  { name: 'xlm-roberta', arch: 'xlm-roberta', init: [], pad: 1, cls: 0 },
  { name: 'distilbert', arch: 'distilbert', init: [], pad: 0, cls: 1 },
  {
    name: 'modernbert (cls pooling, window 8, every 3rd layer global)',
    arch: 'modernbert',
    init: ['--layers', '3', '--local-attention', '8'],
    pad: 0,
    cls: 1,
  },
  {
    name: 'modernbert (mean pooling, window 4, every 2nd layer global)',
    arch: 'modernbert',
    init: ['--layers', '3', '--pooling', 'mean', '--local-attention', '4', '--global-every', '2'],
    pad: 0,
    cls: 1,
  },
];

let dir: string;
beforeAll(() => {
  requireTorch();
  dir = mkdtempSync(join(tmpdir(), 'enc-fwd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each(CASES)('$name: logits within 1e-5 of reference.py forward', async (c) => {
  const model = join(dir, c.name);
  reference([
    'init',
    '--arch',
    c.arch,
    '--out',
    model,
    '--layers',
    '2',
    '--hidden',
    '64',
    '--labels',
    '3',
    '--max-pos',
    '32',
    '--bias-std',
    BIAS_STD,
    ...c.init,
  ]);
  const batches = encoderBatches({
    count: 3,
    batch: 4,
    seq: 20,
    vocab: 1000,
    labels: 3,
    pad: c.pad,
    cls: c.cls,
    padInside: true,
  });
  writeFileSync(join(model, 'batches.json'), JSON.stringify(batches));
  const ref = jsonLines<{ logits: number[][] }>(
    reference(['forward', '--model', model, '--batches', join(model, 'batches.json')]),
  );
  const { family, config } = readModelConfig(join(model, 'config.json'));
  expect(config.modelType).toBe(c.arch);
  const m = family.create(config, 3);
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
    const out = await session.run(feeds);
    const ours = Array.from(out.logits.data as Float32Array);
    const theirs = ref[i].logits.flat();
    expect(out.logits.dims).toEqual([4, 3]);
    for (let k = 0; k < ours.length; k++) worst = Math.max(worst, Math.abs(ours[k] - theirs[k]));
  }
  await session.release();
  console.log(`${c.name}: max |logit diff| ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-5);
  expect(Math.max(...ref.flatMap((r) => r.logits.flat().map(Math.abs)))).toBeGreaterThan(1e-3);
});
