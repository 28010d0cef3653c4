// Hub ids of the new model types download like BERT's: a fake hub on 127.0.0.1 serves tiny
// RoBERTa, XLM-R, DistilBERT and ModernBERT repos laid out as the real ones (base checkpoints with
// unprefixed keys or MLM heads, no classifier); loadModel resolves, reads config.json with the right
// family, reports the HF loading messages (new head; unused MLM weights), the tokenizer loads from
// the cache, and a second load makes no request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoSplits } from '../../src/demo/index.js';
import { loadModel } from '../../src/models/load.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { writeTinyEncoder, type EncoderType } from '../helpers/encoder-models.js';

const corpus = generateDemoSplits(42, { train: 300, valid: 10, test: 10 }).train.map((r) => r.review);
const f32 = (shape: number[]) => ({
  dtype: 'float32' as const,
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

const REPOS: {
  id: string;
  type: EncoderType;
  architecture: string;
  key?: (k: string) => string;
  extra?: Record<string, ReturnType<typeof f32>>;
  unexpected: string[];
  missing: string[];
}[] = [
  {
    id: 'test-org/tiny-roberta',
    type: 'roberta',
    architecture: 'RobertaForSequenceClassification',
    // a RobertaForMaskedLM checkpoint, as roberta-base: lm_head unused, position_ids a buffer
    extra: { 'lm_head.bias': f32([8]), 'roberta.embeddings.position_ids': f32([1, 8]) },
    unexpected: ['lm_head.bias'],
    missing: [
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ],
  },
  {
    id: 'test-org/tiny-xlm-roberta',
    type: 'xlm-roberta',
    architecture: 'XLMRobertaForSequenceClassification',
    // a base XLMRobertaModel checkpoint: keys without the roberta. prefix
    key: (k) => k.replace(/^roberta\./, ''),
    unexpected: [],
    missing: [
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ],
  },
  {
    id: 'tiny-distilbert',
    type: 'distilbert',
    architecture: 'DistilBertForSequenceClassification',
    extra: { 'vocab_projector.bias': f32([8]) },
    unexpected: ['vocab_projector.bias'],
    missing: ['pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight', 'classifier.bias'],
  },
  {
    id: 'test-org/tiny-modernbert',
    type: 'modernbert',
    architecture: 'ModernBertForSequenceClassification',
    // ModernBertForMaskedLM: its head (dense, norm) is the classifier's head too; decoder.bias is unused
    extra: { 'decoder.bias': f32([8]) },
    unexpected: ['decoder.bias'],
    missing: [], // its classifier is there, for 2 labels: re-initialised for 3 (mismatched)
  },
];

let root: string;
let hub: FakeHub;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'enc-hub-'));
  const models: Record<string, string> = {};
  for (const r of REPOS) {
    const dir = join(root, 'repos', r.id);
    writeTinyEncoder(dir, r.type, corpus, { key: r.key, extra: r.extra, head: r.type === 'modernbert' ? true : false });
    models[r.id] = dir;
  }
  hub = await startFakeHub(models);
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

test.each(REPOS)(
  '$id ($type): downloads, loads with its family and HF report, then loads from the cache',
  async (r) => {
    const cacheDir = join(root, 'cache');
    const opts = { modelNameOrPath: r.id, labels: ['neg', 'neu', 'pos'], cacheDir, hubUrl: hub.url, seed: 1 };
    const loaded = await loadModel(opts);
    expect(loaded.files.source).toBe('hub');
    expect(loaded.files.dir).toBe(join(cacheDir, r.id));
    expect(loaded.config.modelType).toBe(r.type);
    expect(loaded.model.architecture).toBe(r.architecture);
    expect(loaded.model.numLabels).toBe(3);
    const { unexpected, missing } = loaded.report;
    // ModernBERT's repo here has a 2-label classifier: re-initialised for 3 labels (mismatched), not missing.
    if (r.type === 'modernbert') {
      expect(missing).toEqual([]);
      expect(loaded.report.mismatched.map((m) => m.name)).toEqual(['classifier.weight', 'classifier.bias']);
    } else expect(missing).toEqual(r.missing);
    expect(unexpected).toEqual(r.unexpected);
    expect(loaded.report.warnings.join('\n')).toContain(r.architecture);
    const paths = hub.requests.filter((q) => q.path.startsWith(`/${r.id}/`)).map((q) => q.path);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json'])
      expect(paths).toContain(`/${r.id}/resolve/main/${f}`);
    const tok = await loadTokenizer(loaded.files.dir);
    expect(tok.padId).toBe(loaded.config.padTokenId);
    expect(tok.encode('the movie was great', undefined, 16).ids.length).toBeGreaterThan(3);

    const before = hub.requests.length;
    const again = await loadModel(opts);
    expect(hub.requests.length).toBe(before);
    expect(again.report).toEqual(loaded.report);
    for (const [k, v] of loaded.weights) expect(again.weights.get(k)).toEqual(v);
  },
);
