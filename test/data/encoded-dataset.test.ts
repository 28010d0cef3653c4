// Dataset tokenization into flat storage: same ids as per-text encode, and fast enough.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Example } from '../../src/data/types.js';
import { lengthOf } from '../../src/data/encoded-dataset.js';
import { encodeExamples, loadTokenizer } from '../../src/tokenizer/index.js';
import { realBertVocab } from '../tokenizer/real-vocab.js';

test('encodeExamples: flat Int32Array storage equals per-example encode; labels via the label map', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tok-ds-'));
  try {
    const vocab = realBertVocab();
    writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n'));
    const tok = await loadTokenizer(dir);
    const words = vocab.slice(2000, 12000);
    const examples: Example[] = [];
    for (let i = 0; i < 2000; i++) {
      const n = 150 + (i % 100);
      const text = Array.from({ length: n }, (_, j) => words[(i * 31 + j * 17) % words.length]).join(' ');
      examples.push({
        row: i + 1,
        text,
        textPair: i % 5 === 0 ? 'a short second text' : undefined,
        label: i % 3 === 0 ? 'pos' : 'neg',
      });
    }
    const labels = { labels: ['neg', 'pos'], label2id: { neg: 0, pos: 1 } };
    const t0 = performance.now();
    const ds = encodeExamples(tok, examples, labels, 128);
    const ms = performance.now() - t0;
    expect(ds.size).toBe(2000);
    expect(ds.ids).toBeInstanceOf(Int32Array);
    expect(ds.offsets[2000]).toBe(ds.ids.length);
    for (const i of [0, 1, 5, 777, 1999]) {
      const e = tok.encode(examples[i].text, examples[i].textPair, 128);
      expect(Array.from(ds.ids.subarray(ds.offsets[i], ds.offsets[i + 1]))).toEqual(e.ids);
      expect(Array.from(ds.typeIds.subarray(ds.offsets[i], ds.offsets[i + 1]))).toEqual(e.typeIds);
      expect(lengthOf(ds, i)).toBe(128);
      expect(ds.labels[i]).toBe(i % 3 === 0 ? 1 : 0);
      expect(ds.rows[i]).toBe(i + 1);
    }
    expect(ds.attentionMask).toBeNull();
    console.log(`encodeExamples: 2000 texts of ~${Math.round(examples[0].text.length)} chars in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(20000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown label is an error naming the row', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tok-ds2-'));
  try {
    writeFileSync(path.join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'good'].join('\n'));
    const tok = await loadTokenizer(dir);
    expect(() =>
      encodeExamples(tok, [{ row: 7, text: 'good', label: 'meh' }], { labels: ['a'], label2id: { a: 0 } }, 8),
    ).toThrow(/row 7: label "meh" is not in the label map/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
