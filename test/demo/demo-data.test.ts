// The demo dataset: real CSV, balanced, deterministic, covered by its vocab, learnable but not trivial.
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_MAX_LENGTH, demoWordLists as W, writeDemoDataset, writeDemoTokenizer } from '../../src/demo/index.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';

type Row = { review: string; sentiment: string };
let dir: string;
let splits: Record<'train' | 'valid' | 'test', Row[]>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
  const files = await writeDemoDataset(dir, 42);
  await writeDemoTokenizer(path.join(dir, 'model'));
  const read = (f: string) => parse(readFileSync(f), { columns: true, strict: true } as never) as Row[];
  splits = { train: read(files.train), valid: read(files.valid), test: read(files.test) };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('CSV files in the IMDB layout with 2000/300/300 balanced rows', () => {
  expect(readFileSync(path.join(dir, 'train.csv'), 'utf8').split('\n')[0]).toBe('review,sentiment');
  for (const [name, n] of [
    ['train', 2000],
    ['valid', 300],
    ['test', 300],
  ] as const) {
    const rows = splits[name];
    expect(rows.length).toBe(n);
    expect(new Set(rows.map((r) => r.sentiment))).toEqual(new Set(['negative', 'positive']));
    expect(rows.filter((r) => r.sentiment === 'positive').length).toBe(n / 2);
    expect(Object.keys(rows[0])).toEqual(['review', 'sentiment']);
  }
  // commas inside reviews survive quoting
  expect(splits.train.some((r) => r.review.includes(', but '))).toBe(true);
});

test('deterministic for a seed; another seed gives other data; no review shared between splits', async () => {
  const again = mkdtempSync(path.join(os.tmpdir(), 'demo2-'));
  try {
    await writeDemoDataset(path.join(again, 'a'), 42);
    await writeDemoDataset(path.join(again, 'b'), 7);
    for (const f of ['train.csv', 'valid.csv', 'test.csv']) {
      expect(readFileSync(path.join(again, 'a', f), 'utf8')).toBe(readFileSync(path.join(dir, f), 'utf8'));
      expect(readFileSync(path.join(again, 'b', f), 'utf8')).not.toBe(readFileSync(path.join(dir, f), 'utf8'));
    }
  } finally {
    rmSync(again, { recursive: true, force: true });
  }
  const all = [...splits.train, ...splits.valid, ...splits.test].map((r) => r.review.toLowerCase());
  expect(new Set(all).size).toBe(all.length);
});

test('the demo tokenizer covers every word (no [UNK]) and every review fits max_length 32', async () => {
  const tok = await loadTokenizer(path.join(dir, 'model'));
  const unk = tok.encode('[UNK]', undefined, 8).ids[1];
  expect(tok.token(unk)).toBe('[UNK]');
  let longest = 0;
  for (const r of [...splits.train, ...splits.valid, ...splits.test]) {
    const e = tok.encode(r.review, undefined, 512);
    expect({ review: r.review, unk: e.ids.includes(unk) }).toEqual({ review: r.review, unk: false });
    longest = Math.max(longest, e.ids.length);
  }
  expect(longest).toBeLessThanOrEqual(DEMO_MAX_LENGTH);
  expect(tok.vocabSize).toBeLessThan(400);
  // the vocab.txt written alongside builds the same tokenizer
  expect(JSON.parse(readFileSync(path.join(dir, 'model', 'tokenizer.json'), 'utf8'))).toEqual(tok.json);
});

const words = (s: string) => s.toLowerCase().match(/[a-z0-9']+/g) ?? [];

test('not trivial: counting positive vs negative words (no negation handling) scores far below 100%', () => {
  const pos = new Set([...W.POSITIVE_ADJ, ...W.POSITIVE_VERB, ...W.POSITIVE_VERB_BASE]);
  const neg = new Set([...W.NEGATIVE_ADJ, ...W.NEGATIVE_VERB, ...W.NEGATIVE_VERB_BASE]);
  const predict = (t: string) => {
    let score = 0;
    for (const w of words(t)) score += pos.has(w) ? 1 : neg.has(w) ? -1 : 0;
    return score >= 0 ? 'positive' : 'negative';
  };
  const acc = splits.test.filter((r) => predict(r.review) === r.sentiment).length / splits.test.length;
  console.log(`bag-of-words counting baseline: test accuracy ${acc.toFixed(3)}`);
  expect(acc).toBeGreaterThan(0.4);
  expect(acc).toBeLessThan(0.75);
});

test('learnable: a logistic regression on word n-grams (n <= 3) trained on train.csv scores high on test.csv', () => {
  const feats = (t: string) => {
    const w = ['<s>', ...words(t), '</s>'];
    const bi = w.slice(1).map((x, i) => `${w[i]} ${x}`);
    const tri = w.slice(2).map((x, i) => `${w[i]} ${w[i + 1]} ${x}`);
    return [...w, ...bi, ...tri];
  };
  const index = new Map<string, number>();
  const encode = (t: string) => feats(t).map((f) => index.get(f) ?? (index.set(f, index.size), index.size - 1));
  const train = splits.train.map((r) => ({ x: encode(r.review), y: r.sentiment === 'positive' ? 1 : 0 }));
  const weights = new Float64Array(index.size + 1000);
  let bias = 0;
  for (let epoch = 0; epoch < 30; epoch++) {
    for (const { x, y } of train) {
      let z = bias;
      for (const i of x) z += weights[i];
      const g = 1 / (1 + Math.exp(-z)) - y;
      bias -= 0.1 * g;
      for (const i of x) weights[i] -= 0.1 * g;
    }
  }
  const acc =
    splits.test.filter((r) => {
      let z = bias;
      for (const f of feats(r.review)) z += weights[index.get(f) ?? weights.length - 1];
      return (z > 0 ? 'positive' : 'negative') === r.sentiment;
    }).length / splits.test.length;
  console.log(`n-gram logistic regression: test accuracy ${acc.toFixed(3)}`);
  expect(acc).toBeGreaterThan(0.8);
});
