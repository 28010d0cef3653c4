// The on-disk token cache: exact round trip, corrupt entries ignored, and reuse only when nothing
// the ids depend on changed (file bytes, tokenizer, max_length, columns); the labels are mapped
// after loading, so another label order reuses the ids.
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { parseFlags } from '../../src/config/parse.js';
import { lineLogger } from '../../src/util/logger.js';
import { fromEncodedExamples } from '../../src/data/encoded-dataset.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { loadSplit, saveSplit } from '../../src/tokenizer/token-cache.js';
import type { EncodedSplit } from '../../src/data/encoded-split.js';
import { loadSplits, locateSplits } from '../../src/train/load-data.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'token-cache-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('save/load round trip is exact (masks, label tables, multi-label lists, statistics); damaged entries read as absent', () => {
  const dir = join(root, 'rt');
  const stats = { rows: 2, labels: { '1': 1, neg: 1 }, textLength: { p50: 3, p90: 5, p99: 5, max: 5 } };
  const columns = { text: 'text', label: 'label', all: ['text', 'label'] };
  const plain: EncodedSplit = {
    dataset: fromEncodedExamples([
      { row: 1, inputIds: [101, 7, 102], label: 1 },
      { row: 3, inputIds: [101, 102], tokenTypeIds: [0, 1], label: 0 },
    ]),
    labelValues: [1, 'neg'],
    stats,
    columns,
  };
  const masked: EncodedSplit = {
    dataset: fromEncodedExamples([{ row: 2, inputIds: [101, 9, 0], attentionMask: [1, 1, 0], label: 0 }]),
    labelValues: ['x'],
    multi: { offsets: Int32Array.from([0, 2]), idx: Int32Array.from([0, 1]) },
    stats,
    columns,
  };
  saveSplit(dir, 'a', plain);
  saveSplit(dir, 'b', masked);
  expect(loadSplit(dir, 'a')).toEqual(plain);
  expect(loadSplit(dir, 'b')).toEqual(masked);
  expect(loadSplit(dir, 'missing')).toBeUndefined();
  truncateSync(join(dir, 'a.tok'), 30);
  expect(loadSplit(dir, 'a')).toBeUndefined();
  writeFileSync(join(dir, 'b.tok'), 'not a token cache');
  expect(loadSplit(dir, 'b')).toBeUndefined();
});

test('loadSplits tokenizes once, reuses the ids, and re-tokenizes when the file or max_length changes', async () => {
  const demo = await prepareDemo(join(root, 'demo'), 7);
  const tok = await loadTokenizer(demo.model_name_or_path);
  let encoded = 0;
  const encode = tok.encode.bind(tok);
  tok.encode = (...args: Parameters<typeof tok.encode>) => {
    encoded++;
    return encode(...args);
  };
  const cache = join(root, 'tokens');
  const log = lineLogger(() => {});
  const load = async (raw: Record<string, string> = {}) => {
    const flags = parseFlags({ datastore: demo.datastore, max_length: '32', ...raw }, 'cli');
    return loadSplits(await locateSplits(flags, log), flags, tok, log, undefined, cache);
  };
  const first = await load();
  expect(encoded).toBe(2000 + 300 + 300);
  expect(readdirSync(cache)).toHaveLength(3);

  encoded = 0;
  const second = await load();
  expect(encoded).toBe(0);
  expect(second.splits).toEqual(first.splits);
  expect(second.stats).toEqual(first.stats); // from the entries: the files' rows are not read again
  expect(second.stats!.rows).toEqual({ train: 2000, valid: 300, test: 300 });

  await load({ max_length: '16' });
  expect(encoded).toBe(2600);

  encoded = 0;
  appendFileSync(join(demo.datastore, 'test.csv'), 'a brand new review that was great,positive\n');
  const third = await load();
  expect(encoded).toBe(301); // only the changed file
  expect(third.splits.test!.size).toBe(301);
});

test('another tokenizer re-tokenizes; another label order reuses the ids and the labels follow it', async () => {
  const demo = await prepareDemo(join(root, 'demo2'), 11);
  const cache = join(root, 'tokens2');
  const log = lineLogger(() => {});
  let encoded = 0;
  const counting = async (dir: string) => {
    const tok = await loadTokenizer(dir);
    const encode = tok.encode.bind(tok);
    tok.encode = (...args: Parameters<typeof tok.encode>) => {
      encoded++;
      return encode(...args);
    };
    return tok;
  };
  const flags = parseFlags({ datastore: demo.datastore, max_length: '32' }, 'cli');
  const files = await locateSplits(flags, log);
  const tok = await counting(demo.model_name_or_path);
  const first = await loadSplits(files, flags, tok, log, undefined, cache);
  expect(first.labelMap.labels).toEqual(['negative', 'positive']);
  expect(encoded).toBe(2600);

  // The same vocabulary with one more token: the ids of most texts do not change, the key must.
  const other = join(root, 'other-tokenizer');
  cpSync(demo.model_name_or_path, other, { recursive: true });
  const json = JSON.parse(readFileSync(join(other, 'tokenizer.json'), 'utf8'));
  json.model.vocab['zzzunusedtoken'] = Object.keys(json.model.vocab).length;
  writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(json));
  encoded = 0;
  await loadSplits(files, flags, await counting(other), log, undefined, cache);
  expect(encoded).toBe(2600);

  // Resuming with the labels in another order: same ids from the cache, other label ids.
  encoded = 0;
  const swapped = await loadSplits(files, flags, tok, log, ['positive', 'negative'], cache);
  expect(encoded).toBe(0);
  for (const split of ['train', 'valid', 'test'] as const) {
    const a = first.splits[split]!,
      b = swapped.splits[split]!;
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels, (l) => 1 - l));
  }
  // And back: both entries are reused as they are.
  encoded = 0;
  const again = await loadSplits(files, flags, tok, log, undefined, cache);
  expect(encoded).toBe(0);
  expect(again.splits).toEqual(first.splits);
});

test('another text column (or text pair column) re-tokenizes: the columns are part of the key', async () => {
  const demo = await prepareDemo(join(root, 'demo3'), 13);
  const tok = await loadTokenizer(demo.model_name_or_path);
  let encoded = 0;
  const encode = tok.encode.bind(tok);
  tok.encode = (...args: Parameters<typeof tok.encode>) => {
    encoded++;
    return encode(...args);
  };
  // Two text columns of different words (4 rows a split); the same bytes whichever column is read.
  const data = join(root, 'columns');
  const csv =
    'title,body,label\n' +
    'great film,the plot was dull and slow,positive\n' +
    'awful acting,a wonderful score and cast,negative\n' +
    'loved it,nothing happens for an hour,positive\n';
  mkdirSync(data, { recursive: true });
  for (const split of ['train', 'valid', 'test'])
    writeFileSync(join(data, `${split}.csv`), csv + `${split},row,negative\n`);
  const cache = join(root, 'tokens3');
  const log = lineLogger(() => {});
  const load = async (raw: Record<string, string>) => {
    const flags = parseFlags({ datastore: data, max_length: '16', label_column: 'label', ...raw }, 'cli');
    return loadSplits(await locateSplits(flags, log), flags, tok, log, undefined, cache);
  };
  const ids = (d: Awaited<ReturnType<typeof load>>) => Array.from(d.splits.train!.ids);
  const title = await load({ text_column: 'title' });
  expect(encoded).toBe(12);
  encoded = 0;
  const body = await load({ text_column: 'body' });
  expect(encoded).toBe(12);
  expect(ids(body)).not.toEqual(ids(title));
  encoded = 0;
  const pair = await load({ text_column: 'title', text_pair_column: 'body' });
  expect(encoded).toBe(12);
  expect(ids(pair)).not.toEqual(ids(title));
  // Each choice is cached under its own key.
  encoded = 0;
  expect(ids(await load({ text_column: 'title' }))).toEqual(ids(title));
  expect(ids(await load({ text_column: 'body' }))).toEqual(ids(body));
  expect(encoded).toBe(0);
});
