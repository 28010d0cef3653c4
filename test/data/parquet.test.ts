// Parquet datasets: hyparquet-written files with snappy and zstd, several row groups, int and
// string labels, ClassLabel names, multi-label lists, shards of one split, and the errors.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { readExamples, streamExamples, DataFileError, NoLabelsError } from '../../src/data/readers/index.js';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { writeParquet } from '../helpers/parquet.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const texts = Array.from({ length: 25 }, (_, i) => `review number ${i} ${'é'.repeat(i % 3)}`);
const ints = texts.map((_, i) => BigInt(i % 2));

test.each(['SNAPPY', 'ZSTD', 'GZIP'] as const)(
  '%s, 4 row groups: every row in order, int64 labels as numbers',
  async (codec) => {
    const file = join(dir, `reviews-${codec}.parquet`);
    writeParquet(
      file,
      [
        { name: 'text', data: texts, type: 'STRING' },
        { name: 'label', data: ints, type: 'INT64' },
      ],
      { codec, rowGroupSize: 7 },
    );
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(file));
    expect(meta.row_groups).toHaveLength(4);
    expect(meta.row_groups[0].columns[0].meta_data?.codec).toBe(codec);
    const { examples, columns, format } = await readExamples(file);
    expect(format).toBe('parquet');
    expect(columns).toMatchObject({ text: 'text', label: 'label' });
    expect(examples).toHaveLength(25);
    expect(examples[0]).toEqual({ row: 1, text: texts[0], label: 0 });
    expect(examples.map((e) => e.text)).toEqual(texts);
    expect(examples.map((e) => e.label)).toEqual(ints.map(Number));
    expect(examples.map((e) => e.row)).toEqual(texts.map((_, i) => i + 1));
  },
);

test('streams row groups: no read is larger than a row group, and the first row comes before most of the file is read', async () => {
  const file = join(dir, 'big.parquet');
  // ~1.7 MB of hex digests (incompressible), well past hyparquet's 512 kB first read of the footer
  const long = Array.from({ length: 3200 }, (_, i) =>
    Array.from({ length: 8 }, (_, j) => createHash('sha256').update(`${i}:${j}`).digest('hex')).join(' '),
  );
  writeParquet(
    file,
    [
      { name: 'text', data: long, type: 'STRING' },
      { name: 'label', data: long.map((_, i) => BigInt(i % 3)), type: 'INT64' },
    ],
    { codec: 'SNAPPY', rowGroupSize: 400 },
  );
  const size = statSync(file).size;
  const probe = await open(file, 'r');
  const proto = Object.getPrototypeOf(probe) as { read(...a: unknown[]): Promise<unknown> };
  await probe.close();
  const spy = jest.spyOn(proto, 'read'); // calls through; records each read's length (3rd argument)
  const readSoFar = () => spy.mock.calls.reduce((a, c) => a + Number(c[2]), 0);
  let atFirstRow = -1;
  let n = 0;
  try {
    for await (const ex of streamExamples(file)) {
      if (n++ === 0) atFirstRow = readSoFar();
      if (ex.text !== long[ex.row - 1]) throw new Error(`row ${ex.row} differs`);
    }
  } finally {
    spy.mockRestore();
  }
  expect(n).toBe(3200);
  expect(Math.max(...spy.mock.calls.map((c) => Number(c[2])))).toBeLessThan(size / 4);
  // the footer read (512 kB) and the first row group, not the rest
  expect(atFirstRow).toBeLessThan(size / 2);
});

test('ClassLabel names turn int labels into names (int64, strings of ints, names kept); out of range and -1 fail', async () => {
  const file = join(dir, 'classlabel.parquet');
  writeParquet(file, [
    { name: 'sentence', data: ['a', 'b', 'c'], type: 'STRING' },
    { name: 'label', data: [0n, 1n, 1n], type: 'INT64' },
  ]);
  const names = { label: ['neg', 'pos'] };
  const r = await readExamples(file, { textColumn: 'sentence', classLabels: names });
  expect(r.examples.map((e) => e.label)).toEqual(['neg', 'pos', 'pos']);
  const csv = join(dir, 'classlabel.csv');
  writeFileSync(csv, 'text,label\nx,1\ny,pos\nz,0\n');
  expect((await readExamples(csv, { classLabels: names })).examples.map((e) => e.label)).toEqual(['pos', 'pos', 'neg']);
  writeFileSync(csv, 'text,label\nx,1\ny,2\n');
  await expect(readExamples(csv, { classLabels: names })).rejects.toThrow(
    /row 2 has label 2 in 'label', but the dataset card names classes 0\.\.1 only \(neg, pos\)/,
  );
  const hidden = join(dir, 'hidden.parquet');
  writeParquet(hidden, [
    { name: 'text', data: ['a', 'b'], type: 'STRING' },
    { name: 'label', data: [-1n, -1n], type: 'INT64' },
  ]);
  const err = await readExamples(hidden, { classLabels: names }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NoLabelsError);
  expect((err as Error).message).toMatch(/row 1 has label -1 in 'label', Hugging Face's mark for "no label"/);
});

test('multi-label: a list column of ClassLabel ints becomes label names; a missing list is no label', async () => {
  const file = join(dir, 'multi.parquet');
  writeParquet(file, [
    { name: 'text', data: ['a', 'b', 'c'], type: 'STRING' },
    { name: 'labels', data: [[0n, 2n], [1n], null] },
  ]);
  const r = await readExamples(file, {
    multiLabel: { separator: '|' },
    classLabels: { labels: ['anger', 'joy', 'fear'] },
  });
  expect(r.examples.map((e) => e.labels)).toEqual([['anger', 'fear'], ['joy'], []]);
  expect(r.examples[0].label).toBe('anger|fear');
});

test('a split in several shards: rows numbered on across the files; shards with other columns fail', async () => {
  const a = join(dir, 'train-00000-of-00002.parquet');
  const b = join(dir, 'train-00001-of-00002.parquet');
  writeParquet(a, [
    { name: 'text', data: ['a', 'b'], type: 'STRING' },
    { name: 'label', data: ['x', 'y'], type: 'STRING' },
  ]);
  writeParquet(b, [
    { name: 'text', data: ['c'], type: 'STRING' },
    { name: 'label', data: ['x'], type: 'STRING' },
  ]);
  const r = await readExamples([a, b]);
  expect(r.examples).toEqual([
    { row: 1, text: 'a', label: 'x' },
    { row: 2, text: 'b', label: 'y' },
    { row: 3, text: 'c', label: 'x' },
  ]);
  const other = join(dir, 'other.parquet');
  writeParquet(other, [
    { name: 'review', data: ['c'], type: 'STRING' },
    { name: 'label', data: ['x'], type: 'STRING' },
  ]);
  await expect(readExamples([a, other])).rejects.toThrow(
    /its columns \(text review, label label\) differ from .*train-00000-of-00002\.parquet's/,
  );
});

test('errors name the file, the row and the fix', async () => {
  const nulls = join(dir, 'nulls.parquet');
  writeParquet(nulls, [
    { name: 'text', data: ['a', null], type: 'STRING' },
    { name: 'label', data: [1n, 0n], type: 'INT64' },
  ]);
  await expect(readExamples(nulls)).rejects.toThrow(/nulls\.parquet: row 2: 'text' must be text, got null\. Fix:/);
  const bad = join(dir, 'bad.parquet');
  writeFileSync(bad, 'text,label\na,1\n');
  const err = await readExamples(bad).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataFileError);
  expect((err as Error).message).toMatch(/bad\.parquet is not a readable Parquet file .*Fix:/);
  await expect(readExamples(nulls, { textColumn: 'body' })).rejects.toThrow(
    /text_column 'body' is not a column\. Columns found: 'text', 'label'/,
  );
});
