// Forward parity: our eval graph's logits on a model written by the PyTorch reference's `init`
// (non-zero biases) equal the reference's `forward` on the same padded, sentence-pair batches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { readJsonFile } from '../../src/util/json-file.js';
const readBertConfig = (p: string) =>
  parseBertConfig(
    readJsonFile(p, (m) => new Error(m)),
    p,
  );
import { buildInferenceGraph } from '../../src/models/export.js';
import { BertModel } from '../../src/models/bert/index.js';
import { loadWeights } from '../../src/models/weights.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { int64, makeBatches } from './fixtures.js';
import { BIAS_STD, jsonLines, reference, requireTorch } from './reference.js';

describe('forward parity with the PyTorch reference', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bert-fwd-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('logits and loss agree within 1e-5 on a 2-layer, hidden-64 model (padding + token types)', async () => {
    requireTorch();
    const model = join(dir, 'tiny');
    reference(['init', '--arch', 'bert', '--out', model, '--vocab', '1000', '--labels', '3', '--bias-std', BIAS_STD]);
    const batches = makeBatches({ count: 3, batch: 4, seq: 12, vocab: 1000, labels: 3 });
    writeFileSync(join(dir, 'batches.json'), JSON.stringify(batches));
    const ref = jsonLines<{ logits: number[][] }>(
      reference(['forward', '--model', model, '--batches', join(dir, 'batches.json')]),
    );

    const cfg = readBertConfig(join(model, 'config.json'));
    const bert = new BertModel(cfg, 3);
    const w = loadWeights(join(model, 'model.safetensors'), bert, { seed: 1 });
    expect(w.missing).toEqual([]);
    expect(w.unexpected).toEqual([]);
    const session = await sessionFor(buildInferenceGraph(bert, w.values));
    let worst = 0;
    for (const [i, b] of batches.entries()) {
      const dims = [b.input_ids.length, b.input_ids[0].length];
      const out = await session.run({
        input_ids: tensor('int64', int64(b.input_ids), dims),
        attention_mask: tensor('int64', int64(b.attention_mask), dims),
        token_type_ids: tensor('int64', int64(b.token_type_ids), dims),
      });
      const ours = Array.from(out.logits.data as Float32Array);
      const theirs = ref[i].logits.flat();
      expect(out.logits.dims).toEqual([4, 3]);
      for (let k = 0; k < ours.length; k++) worst = Math.max(worst, Math.abs(ours[k] - theirs[k]));
    }
    console.log(`forward parity: max |logit diff| = ${worst.toExponential(2)}`);
    // Logits of an untrained model are ~0.1 in size; float32 sums differ by ~1e-7.
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...ref.flatMap((r) => r.logits.flat().map(Math.abs)))).toBeGreaterThan(1e-3);
    await session.release();
  });
});
