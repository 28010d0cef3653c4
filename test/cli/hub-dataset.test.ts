// `textclf train --datastore hf://datasets/test/reviews` against a fake Hub: a dataset with Parquet
// splits (snappy train shards, zstd validation and test), int64 ClassLabel labels and a dataset
// card trains; metrics.json has the card's label names and the split mapping, and the log says it.
// The names are in the card's id order (terrible = 0, great = 1), not sorted: as HF's id2label.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import { generateDemoSplits, type Review } from '../../src/demo/index.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { fakeSha, startFakeDatasetHub, type FakeDatasetHub } from '../helpers/fake-dataset-hub.js';
import { writeParquet } from '../helpers/parquet.js';

const CARD = `---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: validation
    path: data/validation-*.parquet
  - split: test
    path: data/test-*.parquet
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': terrible
          '1': great
---
`;

let root: string;
let hub: FakeDatasetHub;
let model: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hub-train-'));
  model = (await prepareDemo(join(root, 'demo'), 3)).model_name_or_path;
  const splits = generateDemoSplits(3);
  const src = join(root, 'repo');
  mkdirSync(join(src, 'data'), { recursive: true });
  const write = (name: string, rows: Review[], codec: 'SNAPPY' | 'ZSTD') => {
    writeParquet(
      join(src, name),
      [
        { name: 'text', data: rows.map((r) => r.review), type: 'STRING' },
        { name: 'label', data: rows.map((r) => BigInt(r.sentiment === 'positive' ? 1 : 0)), type: 'INT64' },
      ],
      { codec, rowGroupSize: 100 },
    );
    return [name, join(src, name)];
  };
  writeFileSync(join(src, 'README.md'), CARD);
  hub = await startFakeDatasetHub({
    'test/reviews': {
      revisions: {
        main: {
          sha: fakeSha('reviews'),
          files: Object.fromEntries([
            ['README.md', join(src, 'README.md')],
            write('data/train-00000-of-00002.parquet', splits.train.slice(0, 300), 'SNAPPY'),
            write('data/train-00001-of-00002.parquet', splits.train.slice(300, 600), 'SNAPPY'),
            write('data/validation-00000-of-00001.parquet', splits.valid.slice(0, 100), 'ZSTD'),
            write('data/test-00000-of-00001.parquet', splits.test.slice(0, 100), 'ZSTD'),
          ]),
        },
      },
    },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

test('textclf train --datastore hf://datasets/test/reviews: label names from the card, splits mapped, in the log and metrics.json', async () => {
  const out = join(root, 'run');
  const lines: string[] = [];
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  const saved = process.env.HF_ENDPOINT;
  process.env.HF_ENDPOINT = hub.url;
  let code: number;
  try {
    code = await main([
      'train',
      '--datastore',
      'hf://datasets/test/reviews',
      '--model_name_or_path',
      model,
      '--output_dir',
      out,
      '--cache_dir',
      join(root, 'cache'),
      '--max_epochs',
      '1',
      '--batch_size',
      '32',
      '--learning_rate',
      '1e-3',
      '--max_length',
      '32',
      '--threads',
      '1',
    ]);
  } finally {
    err.mockRestore();
    if (saved === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = saved;
  }
  const log = lines.join('');
  expect(code).toBe(0);
  expect(log).toMatch(
    /Hub dataset test\/reviews at [0-9a-f]{12} \(config default\): train <- train, valid <- validation, test <- test; label names from the dataset card \(label\)/,
  );
  expect(log).toMatch(
    /train: 600 rows from .*train-00000-of-00002\.parquet, .*train-00001-of-00002\.parquet \(text: text, label: label\)/,
  );
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;
  expect(m.labels).toEqual(['terrible', 'great']);
  expect(m.dataSource).toEqual({
    datastore: 'hf://datasets/test/reviews',
    revision: fakeSha('reviews'),
    config: 'default',
    splits: { train: 'train', valid: 'validation', test: 'test' },
    classLabels: ['label'],
  });
  expect(m.dataset!.rows).toEqual({ train: 600, valid: 100, test: 100 });
  // 1 -> great, 0 -> terrible: the names land on the right rows
  const count = (rows: Review[], s: string) => rows.filter((r) => r.sentiment === s).length;
  const splits = generateDemoSplits(3);
  expect(m.dataset!.labels.train).toEqual({
    terrible: count(splits.train.slice(0, 600), 'negative'),
    great: count(splits.train.slice(0, 600), 'positive'),
  });
  expect(m.test!.perClass.map((c) => [c.label, c.support])).toEqual([
    ['terrible', count(splits.test.slice(0, 100), 'negative')],
    ['great', count(splits.test.slice(0, 100), 'positive')],
  ]);
  const cfg = JSON.parse(readFileSync(join(out, 'checkpoints', 'final', 'config.json'), 'utf8'));
  expect(cfg.id2label).toEqual({ 0: 'terrible', 1: 'great' });
}, 300_000);
