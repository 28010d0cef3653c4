// The inference export loads in @huggingface/transformers' pipeline('text-classification') from a
// local dir (no network), with our label names, and gives the probabilities of our eval graph.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { buildInferenceGraph, writeModelDir } from '../../src/models/export.js';
import { BertModel } from '../../src/models/bert/index.js';
import { loadWeights } from '../../src/models/weights.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { tinyConfigJson, writeTinyModel } from './tiny-model.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'bert-export-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('onnx/model.onnx + config/tokenizer files: pipeline() probabilities equal our eval graph', async () => {
  writeTinyModel(join(root, 'base'), { labels: 3, seed: 5 });
  const cfg = parseBertConfig(tinyConfigJson(3));
  const model = new BertModel(cfg, 3);
  const labels = ['negative', 'neutral', 'positive'];
  const w = loadWeights(join(root, 'base', 'model.safetensors'), model, { seed: 1 });
  const out = join(root, 'models', 'exported');
  writeModelDir(out, model, w.values, {
    labels,
    tokenizerJson: join(root, 'base', 'tokenizer.json'),
    vocabTxt: join(root, 'base', 'vocab.txt'),
  });
  for (const f of [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
    'vocab.txt',
    'onnx/model.onnx',
  ])
    expect(existsSync(join(out, f))).toBe(true);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  expect(config).toMatchObject({
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    num_labels: 3,
    id2label: { 0: 'negative', 1: 'neutral', 2: 'positive' },
    label2id: { negative: 0, neutral: 1, positive: 2 },
  });
  expect(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'))).toMatchObject({
    tokenizer_class: 'BertTokenizer',
    pad_token: '[PAD]',
    do_lower_case: true,
  });

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = join(root, 'models');
  const clf = (await pipeline('text-classification', 'exported')) as TextClassificationPipeline;
  const session = await sessionFor(buildInferenceGraph(model, w.values));
  const texts = ['The movie was great!', 'i hated the acting , boring plot .', 'It is not a film'];
  let compared = 0;
  for (const text of texts) {
    const got = (await clf(text, { top_k: null })) as { label: string; score: number }[];
    expect(got.map((g) => g.label).sort()).toEqual([...labels].sort());
    const enc = clf.tokenizer(text) as unknown as Record<string, { data: BigInt64Array; dims: number[] }>;
    expect(Number(enc.input_ids.data[0])).toBe(2); // [CLS] of the tiny vocab
    const feeds = Object.fromEntries(
      ['input_ids', 'attention_mask', 'token_type_ids'].map((k) => [k, tensor('int64', enc[k].data, enc[k].dims)]),
    );
    const logits = Array.from((await session.run(feeds)).logits.data as Float32Array);
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const probs = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    for (const g of got) {
      expect(Math.abs(g.score - probs[labels.indexOf(g.label)])).toBeLessThan(1e-6);
      compared++;
    }
    // initializer_range 0.5 makes the classes clearly distinct, so a label mix-up would show
    expect(Math.max(...probs) - Math.min(...probs)).toBeGreaterThan(0.01);
  }
  expect(compared).toBe(9);
  await session.release();
});
