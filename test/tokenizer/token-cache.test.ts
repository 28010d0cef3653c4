// The on-disk token cache: exact round trip, corrupt entries ignored, and reuse only when nothing
// the ids depend on changed (file bytes, tokenizer, max_length).
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { parseFlags } from '../../src/config/parse.js';
import { lineLogger } from '../../src/util/logger.js';
import { fromEncodedExamples } from '../../src/data/encoded-dataset.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { loadEncoded, saveEncoded } from '../../src/tokenizer/token-cache.js';
import { loadSplits, locateSplits } from '../../src/train/load-data.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'token-cache-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('save/load round trip is exact, with and without attention masks; damaged entries read as absent', () => {
  const dir = join(root, 'rt');
  const plain = fromEncodedExamples([
    { row: 1, inputIds: [101, 7, 102], label: 1 },
    { row: 3, inputIds: [101, 102], tokenTypeIds: [0, 1], label: 0 },
  ]);
  const masked = fromEncodedExamples([{ row: 2, inputIds: [101, 9, 0], attentionMask: [1, 1, 0], label: 0 }]);
  saveEncoded(dir, 'a', plain);
  saveEncoded(dir, 'b', masked);
  expect(loadEncoded(dir, 'a')).toEqual(plain);
  expect(loadEncoded(dir, 'b')).toEqual(masked);
  expect(loadEncoded(dir, 'missing')).toBeUndefined();
  truncateSync(join(dir, 'a.tok'), 30);
  expect(loadEncoded(dir, 'a')).toBeUndefined();
  writeFileSync(join(dir, 'b.tok'), 'not a token cache');
  expect(loadEncoded(dir, 'b')).toBeUndefined();
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

  await load({ max_length: '16' });
  expect(encoded).toBe(2600);

  encoded = 0;
  appendFileSync(join(demo.datastore, 'test.csv'), 'a brand new review that was great,positive\n');
  const third = await load();
  expect(encoded).toBe(301); // only the changed file
  expect(third.splits.test!.size).toBe(301);
});
