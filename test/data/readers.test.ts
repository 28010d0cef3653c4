// Readers on real files: CSV/TSV quirks, JSONL, column defaults, and every malformed-input error
// naming the file and the line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExamples, streamExamples, DataFileError } from '../../src/data/readers/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'textclf-readers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

async function failure(file: string, opts = {}): Promise<DataFileError> {
  const err = await readExamples(file, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataFileError);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(/Fix:/);
  return err as DataFileError;
}

test('CSV: BOM, CRLF, quotes, embedded newlines and commas; review/sentiment by default', async () => {
  const file = put(
    'imdb.csv',
    '\uFEFFreview,sentiment\r\n"He said ""wow"", twice",positive\r\n"line one\r\nline two",negative\r\n\r\nplain,positive\r\n',
  );
  const { examples, columns, format } = await readExamples(file);
  expect(format).toBe('csv');
  expect(columns).toEqual({ text: 'review', label: 'sentiment', textPair: undefined, all: ['review', 'sentiment'] });
  expect(examples).toEqual([
    { row: 1, text: 'He said "wow", twice', label: 'positive' },
    { row: 2, text: 'line one\r\nline two', label: 'negative' },
    { row: 3, text: 'plain', label: 'positive' },
  ]);
});

test('TSV with text/label defaults, integer labels, a stray quote and a multi-byte character split across chunks', async () => {
  // 1.2 MB of 2-byte characters starting at an odd offset: the 1 MiB read chunk ends mid-character.
  const long = 'é'.repeat(600_000);
  const file = put('data.tsv', `id\ttext\tlabel\n1\tsay "hi" now\t1\n2\t${long}\t0\n3\tx\t10\n`);
  const { examples, columns } = await readExamples(file);
  expect(columns.text).toBe('text');
  expect(examples.map((e) => e.label)).toEqual([1, 0, 10]);
  expect(examples[0]!.text).toBe('say "hi" now');
  expect(examples[1]!.text).toBe(long);
});

test('default columns match case-insensitively; explicit flags are exact', async () => {
  const file = put('caps.csv', 'Review,Sentiment\ngood,pos\n');
  expect((await readExamples(file)).columns).toMatchObject({ text: 'Review', label: 'Sentiment' });
  expect((await failure(file, { textColumn: 'review' })).message).toMatch(
    /text_column 'review' is not a column\. Columns found: 'Review', 'Sentiment'/,
  );
});

test('JSONL: string and integer labels, text pairs, explicit column flags, blank lines', async () => {
  const file = put('pairs.jsonl', '{"q":"a?","a":"yes","y":1}\n\n{"q":"b?","a":"no","y":"0"}\n');
  const { examples, columns } = await readExamples(file, { textColumn: 'q', textPairColumn: 'a', labelColumn: 'y' });
  expect(columns).toMatchObject({ text: 'q', textPair: 'a', label: 'y' });
  expect(examples).toEqual([
    { row: 1, text: 'a?', textPair: 'yes', label: 1 },
    { row: 2, text: 'b?', textPair: 'no', label: 0 },
  ]);
});

test('rows stream one at a time', async () => {
  const file = put('stream.csv', 'text,label\n' + Array.from({ length: 1000 }, (_, i) => `t${i},${i % 3}`).join('\n'));
  const it = streamExamples(file);
  const first = await it.next();
  expect(first.value).toEqual({ row: 1, text: 't0', label: 0 });
  await it.return(undefined);
});

test('missing columns list the columns found', async () => {
  const file = put('cols.csv', 'sentence,score\nhi,1\n');
  let err = await failure(file);
  expect(err.message).toMatch(
    /no 'review' or 'text' column\. Columns found: 'sentence', 'score'\. Fix: set text_column/,
  );
  err = await failure(file, { textColumn: 'sentence' });
  expect(err.message).toMatch(
    /no 'sentiment' or 'label' column\. Columns found: 'sentence', 'score'\. Fix: set label_column/,
  );
  err = await failure(file, { textColumn: 'sentence', labelColumn: 'stars' });
  expect(err.message).toMatch(/label_column 'stars' is not a column\. Columns found: 'sentence', 'score'/);
});

test('malformed rows fail with their line number', async () => {
  const bad = await failure(put('bad.csv', 'text,label\nok,1\n"a","b",1\n'));
  expect(bad.message).toMatch(/malformed row on line 3/);
  expect(bad.line).toBe(3);
  const quote = await failure(put('quote.csv', 'text,label\nok,1\nok,2\n"unterminated,1\n'));
  expect(quote.message).toMatch(/malformed row on line \d+: .*Quote Not Closed/i);
  const json = await failure(put('bad.jsonl', '{"text":"a","label":1}\n{"text":"b",\n'));
  expect(json.message).toMatch(/line 2: not valid JSON/);
  const jlabel = await failure(put('label.jsonl', '{"text":"a","label":1.5}\n'));
  expect(jlabel.message).toMatch(/line 1: label 'label' must be a non-empty string or an integer, got 1\.5/);
  const empty = await failure(put('emptylabel.csv', 'text,label\na,1\nb, \n'));
  expect(empty.message).toMatch(/row 2 \(line 3\) has an empty 'label'/);
});

test('invalid UTF-8 fails with its line number, also past the first chunk', async () => {
  const latin1 = Buffer.concat([Buffer.from('text,label\nok,1\ncaf'), Buffer.from([0xe9]), Buffer.from(',0\n')]);
  const err = await failure(put('latin1.csv', latin1));
  expect(err.message).toMatch(/invalid UTF-8 on line 3\. Fix: save the file as UTF-8/);
  const far = Buffer.concat([
    Buffer.from('text,label\n' + `${'a'.repeat(100)},1\n`.repeat(12_000)),
    Buffer.from([0xff, 0x0a]),
  ]);
  expect((await failure(put('far.csv', far))).line).toBe(12_002);
  const jsonl = Buffer.concat([
    Buffer.from('{"text":"a","label":1}\n{"text":"'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('","label":1}\n'),
  ]);
  expect((await failure(put('bad-utf8.jsonl', jsonl))).message).toMatch(/invalid UTF-8 on line 2/);
  const cut = Buffer.concat([Buffer.from('text,label\nx,1\n"caf'), Buffer.from([0xc3])]);
  expect((await failure(put('cut.csv', cut))).message).toMatch(/ends in the middle of a character/);
});

test('empty files, header-only files and unknown types are errors', async () => {
  expect((await failure(put('empty.csv', ''))).message).toMatch(/is empty: expected a header row/);
  expect((await failure(put('blank.jsonl', '\n\n'))).message).toMatch(/is empty: expected one JSON object per line/);
  expect((await failure(put('header.csv', 'review,sentiment\n'))).message).toMatch(/has a header but no data rows/);
  expect((await failure(join(dir, 'nope.csv'))).message).toMatch(/nope\.csv does not exist/);
  expect((await failure(join(dir, 'nope.jsonl'))).message).toMatch(/nope\.jsonl does not exist/);
  expect((await failure(put('data.xlsx', 'x'))).message).toMatch(
    /unknown file type '\.xlsx'\. Fix: use \.csv, \.tsv, \.jsonl or \.parquet/,
  );
});

describe('multi-label rows', () => {
  const ml = { multiLabel: { separator: '|' } };
  test('one column split by the separator: trimmed, repeats dropped, an empty cell is no label', async () => {
    const f = put('ml.csv', 'text,labels\n"a, b",toxic| insult |toxic\nplain,\n');
    const r = await readExamples(f, ml);
    expect(r.examples.map((e) => e.labels)).toEqual([['toxic', 'insult'], []]);
    expect(r.examples[0].label).toBe('toxic|insult');
  });
  test('several 0/1 columns in the order given; a bad cell names the row, line and column', async () => {
    const f = put('cols.tsv', 'text\ttoxic\tinsult\nx\t1\t0\ny\ttrue\tyes\n');
    const r = await readExamples(f, { ...ml, labelColumn: 'insult,toxic' });
    expect(r.columns.labels).toEqual(['insult', 'toxic']);
    expect(r.examples.map((e) => e.labels)).toEqual([['toxic'], ['insult', 'toxic']]);
    const bad = put('bad.csv', 'text,toxic,insult\nx,1,0\ny,2,0\n');
    const err = await failure(bad, { ...ml, labelColumn: 'toxic,insult' });
    expect(err.message).toContain("row 2 (line 3) has '2' in label column 'toxic'. Fix: use 1 or 0");
    // several columns without problem_type multi-label: refused with the fix
    const single = await failure(bad, { labelColumn: 'toxic,insult' });
    expect(single.message).toContain('set problem_type multi_label_classification');
  });
  test('JSONL: a list of labels, a separated string, or 0/1 fields', async () => {
    const f = put('ml.jsonl', '{"text":"a","label":["x","y"]}\n{"text":"b","label":"y|z"}\n{"text":"c","label":[]}\n');
    expect((await readExamples(f, ml)).examples.map((e) => e.labels)).toEqual([['x', 'y'], ['y', 'z'], []]);
    const g = put('cols.jsonl', '{"text":"a","x":1,"y":false}\n{"text":"b","x":0,"y":"maybe"}\n');
    const err = await failure(g, { ...ml, labelColumn: 'x,y' });
    expect(err.message).toMatch(/line 2: 'y' must be 1 or 0/);
  });
  test('text only (predict): no label column needed', async () => {
    const f = put('new.csv', 'review\nfine\n');
    expect((await readExamples(f, { noLabels: true })).examples).toEqual([{ row: 1, text: 'fine', label: '' }]);
  });
});
