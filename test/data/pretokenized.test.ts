import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { batches } from '../../src/data/batching.js';
import { PretokenizedError, readPretokenizedJsonl } from '../../src/data/pretokenized.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'pretok-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const write = (lines: unknown[], name = 'train.jsonl') => {
  const f = path.join(dir, name);
  writeFileSync(f, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return f;
};

test('integer labels keep their values; masks and token types are carried; no tokenizer needed', async () => {
  const f = write([
    { input_ids: [101, 7, 8, 102], attention_mask: [1, 1, 1, 1], token_type_ids: [0, 0, 1, 1], label: 2 },
    '',
    { input_ids: [101, 9, 102, 0], attention_mask: [1, 1, 1, 0], labels: 0 },
  ]);
  const { dataset, labelMap } = await readPretokenizedJsonl(f);
  expect(labelMap.labels).toEqual(['0', '1', '2']);
  expect(Array.from(dataset.labels)).toEqual([2, 0]);
  expect(Array.from(dataset.rows)).toEqual([1, 3]); // line numbers, blank line skipped
  const [b] = [
    ...batches(dataset, { batchSize: 8, padding: 'longest', maxLength: 16, padId: 0, shuffle: false, seed: 1 }),
  ];
  expect(Array.from(b.inputIds)).toEqual([101n, 7n, 8n, 102n, 101n, 9n, 102n, 0n]);
  expect(Array.from(b.attentionMask)).toEqual([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
  expect(Array.from(b.tokenTypeIds)).toEqual([0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n]);
  expect(Array.from(b.labels)).toEqual([2n, 0n]);
});

test('a UTF-8 byte order mark before the first line is skipped', async () => {
  const f = path.join(dir, 'bom.jsonl');
  writeFileSync(f, '\uFEFF' + JSON.stringify({ input_ids: [101, 102], label: 1 }) + '\n');
  const { dataset } = await readPretokenizedJsonl(f);
  expect(Array.from(dataset.ids)).toEqual([101, 102]);
});

test('string labels get a sorted map; valid files reuse the training map', async () => {
  const train = await readPretokenizedJsonl(
    write([
      { input_ids: [1], label: 'pos' },
      { input_ids: [2], label: 'neg' },
    ]),
  );
  expect(train.labelMap.labels).toEqual(['neg', 'pos']);
  expect(Array.from(train.dataset.labels)).toEqual([1, 0]);
  const valid = write(
    [
      { input_ids: [3], label: 'neg' },
      { input_ids: [4], label: 'meh' },
    ],
    'valid.jsonl',
  );
  await expect(readPretokenizedJsonl(valid, { labelMap: train.labelMap })).rejects.toThrow(
    `${valid}:2: label "meh" is not one of the training labels (neg, pos)`,
  );
  // a label named like an Object.prototype member is unknown too, not silently class 0
  const proto = write([{ input_ids: [3], label: 'toString' }], 'proto.jsonl');
  await expect(readPretokenizedJsonl(proto, { labelMap: train.labelMap })).rejects.toThrow(
    `${proto}:1: label "toString" is not one of the training labels (neg, pos)`,
  );
});

test.each([
  [
    'ragged attention_mask',
    { input_ids: [1, 2, 3], attention_mask: [1, 1], label: 0 },
    '"attention_mask" has 2 entries but input_ids has 3',
  ],
  [
    'ragged token_type_ids',
    { input_ids: [1, 2], token_type_ids: [0, 0, 0], label: 0 },
    '"token_type_ids" has 3 entries but input_ids has 2',
  ],
  ['non-integer id', { input_ids: [1, 2.5], label: 0 }, 'input_ids[1] = 2.5 is not an integer'],
  ['string id', { input_ids: [1, '2'], label: 0 }, 'input_ids[1] = "2" is not an integer'],
  ['negative id', { input_ids: [-1], label: 0 }, 'input_ids[0] = -1 is negative'],
  ['id >= vocab_size', { input_ids: [5, 30522], label: 0 }, "input_ids[1] = 30522 is >= the model's vocab_size 30522"],
  ['mask not 0/1', { input_ids: [1], attention_mask: [2], label: 0 }, 'attention_mask[0] = 2 must be 0 or 1'],
  ['no label', { input_ids: [1] }, 'missing "label" (or "labels")'],
  ['fractional label', { input_ids: [1], label: 1.5 }, 'label 1.5 must be a non-negative integer class id'],
  ['no input_ids', { text: 'hello', label: 0 }, 'missing "input_ids"'],
  ['too long', { input_ids: Array(20).fill(1), label: 0 }, '20 input_ids exceed max_length 16'],
  ['bad JSON', '{"input_ids": [1,', 'invalid JSON'],
])('%s: error names file and line', async (_name, bad, message) => {
  const f = write([{ input_ids: [1, 2], label: 0 }, bad]);
  const err = await readPretokenizedJsonl(f, { vocabSize: 30522, maxLength: 16 }).catch((e) => e);
  expect(err).toBeInstanceOf(PretokenizedError);
  expect(err.message).toContain(`${f}:2: `);
  expect(err.message).toContain(message);
});

test('mixed integer and string labels, missing file, empty file', async () => {
  const mixed = write([
    { input_ids: [1], label: 0 },
    { input_ids: [1], label: 'x' },
  ]);
  await expect(readPretokenizedJsonl(mixed)).rejects.toThrow(
    `${mixed}:2: label "x" is a string but other lines use integer labels`,
  );
  await expect(readPretokenizedJsonl(path.join(dir, 'nope.jsonl'))).rejects.toThrow(
    /nope\.jsonl: cannot read \(ENOENT\)/,
  );
  const empty = write([''], 'empty.jsonl');
  await expect(readPretokenizedJsonl(empty)).rejects.toThrow('no examples');
});
