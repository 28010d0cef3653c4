// Must show (issue 15), through the CLI on the demo's data and model: `textclf predict` reproduces
// the test accuracy of metrics.json exactly from its output file, `textclf evaluate` prints the
// same metrics and gates with min_accuracy; the output keeps the input's row order.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { main } from '../../src/cli/main.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import { writeDemoDataset } from '../../src/demo/write.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { writeParquet } from '../helpers/parquet.js';

let root: string, model: string, data: string, out: string;
let metrics: MetricsFile;
const stdout: string[] = [];
let write: typeof process.stdout.write;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-scoring-'));
  model = (await prepareDemo(join(root, 'demo'), 42)).model_name_or_path;
  data = join(root, 'data');
  await writeDemoDataset(data, 7, { train: 2000, valid: 128, test: 160 });
  out = join(root, 'run');
  const code = await main([
    'train',
    ...['--datastore', data, '--model_name_or_path', model, '--output_dir', out],
    ...['--max_epochs', '4', '--batch_size', '32', '--learning_rate', '1e-3', '--warmup_ratio', '0.1'],
    ...['--max_length', '32', '--threads', '1', '--seed', '3'],
  ]);
  expect(code).toBe(0);
  metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  stdout.length = 0;
  write = process.stdout.write;
  process.stdout.write = ((s: string) => stdout.push(String(s)) > 0) as typeof write;
});
afterEach(() => {
  process.stdout.write = write;
});

const rows = (file: string) => parse(readFileSync(file), { columns: true }) as Record<string, string>[];

test('textclf predict: the output file reproduces the run’s test accuracy exactly, in the input’s row order', async () => {
  const pred = join(root, 'pred.csv');
  const code = await main([
    'predict',
    ...['--model', join(out, 'checkpoints', 'final'), '--input', join(data, 'test.csv'), '--output', pred],
    ...['--batch_size', '32', '--threads', '1'],
  ]);
  expect(code).toBe(0);
  const truth = rows(join(data, 'test.csv'));
  const got = rows(pred);
  expect(got).toHaveLength(truth.length);
  // the input's own label column comes along as `label`; the prediction is predicted_label
  expect(Object.keys(got[0])).toEqual([
    'row',
    'review',
    'label',
    'predicted_label',
    'score',
    'p_negative',
    'p_positive',
  ]);
  got.forEach((r, i) => {
    expect(r.row).toBe(String(i + 1));
    expect(r.review).toBe(truth[i].review);
    expect(r.label).toBe(truth[i].sentiment);
    expect(Number(r.score)).toBeCloseTo(Math.max(Number(r.p_negative), Number(r.p_positive)), 6);
  });
  const correct = got.filter((r, i) => r.predicted_label === truth[i].sentiment).length;
  expect(correct / truth.length).toBe(metrics.test!.accuracy);
  // not a trivial model: both labels are predicted and it is right far more often than chance
  expect(new Set(got.map((r) => r.predicted_label))).toEqual(new Set(['negative', 'positive']));
  expect(metrics.test!.accuracy).toBeGreaterThan(0.7);
  expect(stdout.join('')).toContain(`predictions: ${pred}`);
  // export_dtypes' default, fp32,q8: the final checkpoint has model.onnx and model_quantized.onnx
  const onnx = readdirSync(join(out, 'checkpoints', 'final', 'onnx')).sort();
  expect(onnx).toEqual(['model.onnx', 'model_quantized.onnx']);
}, 120_000);

test('textclf predict reads a datastore file and writes JSONL; unlabelled input is fine', async () => {
  const unlabelled = join(root, 'new.tsv');
  writeFileSync(unlabelled, 'text\nwhat a wonderful film.\nthe plot was dull.\n');
  const pred = join(root, 'pred.jsonl');
  expect(
    await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--input', unlabelled, '--output', pred]),
  ).toBe(0);
  const lines = readFileSync(pred, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.row, l.text])).toEqual([
    [1, 'what a wonderful film.'],
    [2, 'the plot was dull.'],
  ]);
  for (const l of lines) {
    expect(Object.keys(l.scores)).toEqual(['negative', 'positive']);
    expect(l.scores.negative + l.scores.positive).toBeCloseTo(1, 5);
    expect(l.score).toBe(l.scores[l.predicted_label]);
    expect(l).not.toHaveProperty('label'); // the input has no label column
  }
  const viaStore = join(root, 'pred2.csv');
  expect(
    await main([
      'predict',
      ...['--model', join(out, 'checkpoints', 'final'), '--datastore', data, '--input', 'valid.csv'],
      ...['--output', viaStore],
    ]),
  ).toBe(0);
  expect(rows(viaStore)).toHaveLength(128);
});

test('textclf evaluate prints the run’s test metrics, writes them as JSON, and gates with min_accuracy', async () => {
  const json = join(root, 'eval.json');
  const args = ['evaluate', '--model', join(out, 'checkpoints', 'final'), '--input', join(data, 'test.csv')];
  expect(await main([...args, '--batch_size', '32', '--output', json])).toBe(0);
  const e = JSON.parse(readFileSync(json, 'utf8'));
  expect(e.metrics.accuracy).toBe(metrics.test!.accuracy);
  expect(e.metrics.confusion).toEqual(metrics.test!.confusion);
  expect(e.metrics.loss).toBeCloseTo(metrics.test!.loss, 6);
  expect(stdout.join('')).toContain(`accuracy ${(metrics.test!.accuracy * 100).toFixed(2)}%`);
  expect(await main([...args, '--min_accuracy', String(metrics.test!.accuracy)])).toBe(0);
  expect(await main([...args, '--min_accuracy', String(Math.min(1, metrics.test!.accuracy + 0.01))])).toBe(1);
});

test('scoring errors name the flag and the fix', async () => {
  const errs: string[] = [];
  const w = process.stderr.write;
  process.stderr.write = ((s: string) => errs.push(String(s)) > 0) as typeof w;
  try {
    expect(await main(['predict', '--input', join(data, 'test.csv')])).toBe(1);
    expect(await main(['predict', '--model', model, '--input', join(data, 'test.csv')])).toBe(1);
    expect(
      await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--input', join(root, 'nope.csv')]),
    ).toBe(1);
    expect(
      await main([
        'evaluate',
        '--model',
        join(out, 'checkpoints', 'final'),
        '--input',
        join(data, 'test.csv'),
        '--max_epochs',
        '2',
      ]),
    ).toBe(1);
  } finally {
    process.stderr.write = w;
  }
  const text = errs.join('');
  expect(text).toContain('--model is required');
  expect(text).toMatch(/has no id2label; pass a fine-tuned classifier/);
  expect(text).toMatch(/--input .*nope.csv is not a file/);
  expect(text).toContain('--max_epochs is a flag of textclf train, not of textclf evaluate');
});

/** Runs `main` with `input` as stdin. */
async function withStdin(input: string, run: () => Promise<number>): Promise<number> {
  const saved = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(input)]), configurable: true });
  try {
    return await run();
  } finally {
    Object.defineProperty(process, 'stdin', saved);
  }
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { scores: Record<string, number> });

test('predict --text (repeatable) and --input - print JSON lines on stdout, with the scores a file input gets', async () => {
  const final = join(out, 'checkpoints', 'final');
  const texts = ['what a wonderful film, i loved it.', 'the plot was dull and boring.'];
  expect(await main(['predict', '--model', final, '--text', texts[0], '--text', texts[1]])).toBe(0);
  const printed = stdout.join('');
  const lines = jsonLines(printed);
  expect(printed.trim().split('\n')).toHaveLength(2); // nothing but the predictions on stdout
  expect(lines.map((l) => [l.row, l.text])).toEqual([
    [1, texts[0]],
    [2, texts[1]],
  ]);
  expect(lines.map((l) => l.predicted_label)).toEqual(['positive', 'negative']);
  for (const l of lines) expect(l.score).toBe(l.scores[l.predicted_label as string]);

  // the same texts from a file: the same probabilities
  const file = join(root, 'two.csv');
  writeFileSync(file, `text\n${texts.map((t) => `"${t}"`).join('\n')}\n`);
  const pred = join(root, 'two-pred.csv');
  expect(await main(['predict', '--model', final, '--input', file, '--output', pred])).toBe(0);
  rows(pred).forEach((r, i) => {
    expect(Number(r.p_positive)).toBeCloseTo(lines[i].scores.positive, 6);
    expect(r.predicted_label).toBe(lines[i].predicted_label);
  });

  // the same texts as Parquet (a given label column of ints comes along as written)
  const pq = join(root, 'two.parquet');
  writeParquet(pq, [
    { name: 'text', data: texts, type: 'STRING' },
    { name: 'label', data: [1n, 0n], type: 'INT64' },
  ]);
  stdout.length = 0;
  expect(await main(['predict', '--model', final, '--input', pq, '--output', '-'])).toBe(0);
  const fromParquet = jsonLines(stdout.join(''));
  expect(fromParquet.map((l) => [l.text, l.label, l.predicted_label])).toEqual([
    [texts[0], '1', 'positive'],
    [texts[1], '0', 'negative'],
  ]);
  fromParquet.forEach((l, i) => expect(l.scores.positive).toBeCloseTo(lines[i].scores.positive, 6));

  // stdin: JSON lines (a given label comes along), then CSV
  stdout.length = 0;
  const jsonl = `{"text":"${texts[0]}","label":"positive"}\n{"text":"${texts[1]}","label":"positive"}\n`;
  expect(await withStdin(jsonl, () => main(['predict', '--model', final, '--input', '-']))).toBe(0);
  const fromJsonl = jsonLines(stdout.join(''));
  expect(fromJsonl.map((l) => [l.text, l.label, l.predicted_label])).toEqual([
    [texts[0], 'positive', 'positive'],
    [texts[1], 'positive', 'negative'],
  ]);
  expect(fromJsonl[1].scores.negative).toBeCloseTo(lines[1].scores.negative, 6);
  stdout.length = 0;
  expect(await withStdin(`review\n"${texts[1]}"\n`, () => main(['predict', '--model', final, '--input', '-']))).toBe(0);
  expect(jsonLines(stdout.join('')).map((l) => [l.review, l.predicted_label])).toEqual([[texts[1], 'negative']]);
});

test('predict messages: --model in errors, predict --help in hints, max_length defaults to the checkpoint', async () => {
  const errs: string[] = [];
  const w = process.stderr.write;
  process.stderr.write = ((s: string) => errs.push(String(s)) > 0) as typeof w;
  try {
    expect(await main(['predict', '--model', './no/such/dir', '--text', 'x'])).toBe(1);
    expect(await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--txet', 'x'])).toBe(1);
    expect(
      await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--text', 'x', '--input', 'a.csv']),
    ).toBe(1);
    expect(
      await withStdin('', () => main(['predict', '--model', join(out, 'checkpoints', 'final'), '--input', '-'])),
    ).toBe(1);
    expect(
      await main(['train', '--resume_from', 'last', '--output_dir', join(root, 'fresh'), '--datastore', data]),
    ).toBe(1);
  } finally {
    process.stderr.write = w;
  }
  const text = errs.join('');
  expect(text).toMatch(/model '\.\/no\/such\/dir' is not a directory/);
  expect(text).not.toContain('model_name_or_path');
  expect(text).toMatch(/unknown flag --txet \(did you mean --text\?\); run 'textclf predict --help'/);
  expect(text).toContain('--text and --input both name what to score; give one of them');
  expect(text).toContain('--input -: stdin is empty');
  expect(text).toMatch(/resume_from last: .*fresh\/checkpoints has no checkpoint to resume/);

  // the checkpoint says max_length 32: unset uses it, and help says so
  const logged: string[] = [];
  const w2 = process.stderr.write;
  process.stderr.write = ((s: string) => logged.push(String(s)) > 0) as typeof w2;
  try {
    expect(await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--text', 'x'])).toBe(0);
    expect(
      await main(['predict', '--model', join(out, 'checkpoints', 'final'), '--text', 'x', '--max_length', '16']),
    ).toBe(0);
  } finally {
    process.stderr.write = w2;
  }
  expect(logged.join('')).toMatch(/max_length 32[^]*max_length 16/);
  stdout.length = 0;
  expect(await main(['help', 'predict'])).toBe(0);
  expect(stdout.join('')).toMatch(/--max_length INT .*\(default: the checkpoint's\)/);
  stdout.length = 0;
  expect(await main(['help', 'train'])).toBe(0);
  expect(stdout.join('')).toMatch(/--max_length INT .*\(default: 128\)/);
});
