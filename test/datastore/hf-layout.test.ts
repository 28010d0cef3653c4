// Dataset cards and split layouts, as the `datasets` library reads them: the card's configs and
// data_files globs, ClassLabel names (per config; lists of them for multi-label), split words in
// file names, and the Parquet conversion's folders.
import { parseDatasetCard } from '../../src/datastore/hf-card.js';
import { convertedLayout, globMatch, layoutOf, LayoutError } from '../../src/datastore/hf-layout.js';

const GLUE = `---
configs:
- config_name: cola
  data_files:
  - split: train
    path: cola/train-*
  - split: validation
    path: cola/validation-*
  - split: test
    path: cola/test-*
- config_name: sst2
  data_files:
  - split: train
    path: sst2/train-*
  - split: validation
    path: sst2/validation-*
  - split: test
    path: sst2/test-*
dataset_info:
- config_name: cola
  features:
  - name: sentence
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': unacceptable
          '1': acceptable
- config_name: sst2
  features:
  - name: sentence
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': negative
          '1': positive
---
# GLUE
`;

const GLUE_FILES = [
  'README.md',
  ...['cola', 'sst2'].flatMap((c) => ['train', 'validation', 'test'].map((s) => `${c}/${s}-00000-of-00001.parquet`)),
];

test('a multi-config card: configs, per-config ClassLabel names; dataset_config picks one, none means an error listing them', () => {
  const card = parseDatasetCard(GLUE);
  expect(card.configs.map((c) => c.name)).toEqual(['cola', 'sst2']);
  expect(card.classLabels).toEqual({
    cola: { label: ['unacceptable', 'acceptable'] },
    sst2: { label: ['negative', 'positive'] },
  });
  expect(layoutOf(GLUE_FILES, card, 'sst2')).toEqual({
    config: 'sst2',
    splits: {
      train: { name: 'train', files: ['sst2/train-00000-of-00001.parquet'] },
      valid: { name: 'validation', files: ['sst2/validation-00000-of-00001.parquet'] },
      test: { name: 'test', files: ['sst2/test-00000-of-00001.parquet'] },
    },
    ignored: [],
    partial: [],
  });
  expect(() => layoutOf(GLUE_FILES, card)).toThrow(
    new LayoutError(
      'the dataset has several configs (cola, sst2) and none is the default: set dataset_config to one of them',
    ),
  );
  expect(() => layoutOf(GLUE_FILES, card, 'mnli')).toThrow(
    /dataset_config 'mnli' is not one of the dataset's configs \(cola, sst2\)/,
  );
});

test('card variants: names as a list, a sequence of class labels (multi-label), default: true, data_files as a mapping, no front matter', () => {
  const card = parseDatasetCard(`---
configs:
- config_name: simplified
  default: true
  data_files:
    train: simplified/train.parquet
    dev: simplified/dev.parquet
- config_name: raw
  data_files: raw/*.csv
dataset_info:
  config_name: simplified
  features:
  - name: text
    dtype: string
  - name: labels
    sequence:
      class_label:
        names: [admiration, amusement, anger]
---
`);
  expect(card.classLabels).toEqual({ simplified: { labels: ['admiration', 'amusement', 'anger'] } });
  const files = ['simplified/train.parquet', 'simplified/dev.parquet', 'raw/a.csv', 'raw/b.csv'];
  expect(layoutOf(files, card)!.splits).toEqual({
    train: { name: 'train', files: ['simplified/train.parquet'] },
    valid: { name: 'dev', files: ['simplified/dev.parquet'] },
  });
  expect(layoutOf(files, card, 'raw')!.splits).toEqual({ train: { name: 'train', files: ['raw/a.csv', 'raw/b.csv'] } });
  expect(parseDatasetCard('# just a readme\n')).toEqual({ configs: [], classLabels: {} });
  expect(() => parseDatasetCard('---\nconfigs: [unclosed\n---\n')).toThrow(/YAML header does not parse/);
});

test('no card configs: split words in names (train/training, validation/valid/dev/val, test/testing/eval); the most common format; hidden files ignored', () => {
  const card = { configs: [], classLabels: {} };
  expect(
    layoutOf(
      [
        'data/train-00000-of-00002.parquet',
        'data/train-00001-of-00002.parquet',
        'data/val.parquet',
        'data/eval.parquet',
        '.github/x.csv',
        'notes.txt',
      ],
      card,
    )!.splits,
  ).toEqual({
    train: { name: 'train', files: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'] },
    valid: { name: 'val', files: ['data/val.parquet'] },
    test: { name: 'eval', files: ['data/eval.parquet'] },
  });
  // "contest" and "trainer" are not split words
  expect(layoutOf(['contest.jsonl', 'trainer.jsonl'], card)!.splits).toEqual({
    train: { name: 'train', files: ['contest.jsonl', 'trainer.jsonl'] },
  });
  expect(layoutOf(['train.csv', 'a.parquet', 'b.parquet'], card)!.splits).toEqual({
    train: { name: 'train', files: ['a.parquet', 'b.parquet'] },
  });
  expect(layoutOf(['loader.py', 'data.zip'], card)).toBeUndefined();
});

test('the Parquet conversion: <config>/<split>/NNNN.parquet, partial-<split>, the legacy <config>/<name>-<split>.parquet', () => {
  const files = [
    'default/train/0000.parquet',
    'default/train/0001.parquet',
    'default/partial-validation/0000.parquet',
    'other/train/0000.parquet',
  ];
  expect(convertedLayout(files)).toEqual({
    config: 'default',
    splits: {
      train: { name: 'train', files: ['default/train/0000.parquet', 'default/train/0001.parquet'] },
      valid: { name: 'validation', files: ['default/partial-validation/0000.parquet'] },
    },
    ignored: [],
    partial: ['validation'],
  });
  expect(convertedLayout(files, 'other').splits).toEqual({
    train: { name: 'train', files: ['other/train/0000.parquet'] },
  });
  expect(convertedLayout(['plain_text/imdb-train.parquet', 'plain_text/imdb-test.parquet']).splits).toEqual({
    train: { name: 'train', files: ['plain_text/imdb-train.parquet'] },
    test: { name: 'test', files: ['plain_text/imdb-test.parquet'] },
  });
  expect(() => convertedLayout(['a/train/0.parquet', 'b/train/0.parquet'])).toThrow(/several configs \(a, b\)/);
});

test('data_files globs: * and ? within a folder, ** across folders', () => {
  expect(globMatch('data/train-*', 'data/train-00000-of-00001.parquet')).toBe(true);
  expect(globMatch('data/train-*', 'data/sub/train-0.parquet')).toBe(false);
  expect(globMatch('**/train-*.parquet', 'a/b/train-1.parquet')).toBe(true);
  expect(globMatch('**/train-*.parquet', 'train-1.parquet')).toBe(true);
  expect(globMatch('data/t?st.csv', 'data/test.csv')).toBe(true);
  expect(globMatch('data/train.csv', 'data/trainXcsv')).toBe(false); // '.' is literal
});
