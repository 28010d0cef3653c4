// Our tokenizer (vocab.txt -> tokenizer.json, @huggingface/tokenizers, our truncation + template)
// against the Hugging Face Rust tokenizers library (via @anush008/tokenizers' N-API build), on a real
// 30,522-entry BERT vocab. The Rust side is built from vocab.txt with its own components, not from
// our JSON, so a wrong normalizer/template/truncation on our side shows up as different ids.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer, saveTokenizer, type TextTokenizer } from '../../src/tokenizer/index.js';
import { mulberry32 } from '../../src/util/random.js';
import { realBertVocab } from './real-vocab.js';

const require = createRequire(import.meta.url);

const rust = require('@anush008/tokenizers') as typeof import('@anush008/tokenizers');

const TEXTS = [
  'This movie was GREAT!!! I loved it.',
  'Café, naïve résumé — déjà vu à la carte; Ångström & Øresund.',
  'Worst film ever 😡😡 <br /><br />Do not watch. 👍🏽 ok…',
  '東京と大阪で映画を見ました。很好看！ 한국어 텍스트도 있어요.',
  'He said: "it\'s (not) bad"; (really?) — 10/10, $5.99, 3.14%, e-mail: a@b.com #tag @user',
  'Tabs\tand\nnewlines\r\nand\u00a0nbsp and zero\u200bwidth and \u0007bell and soft\u00adhyphen',
  'A literal [SEP] and [CLS] inside text, plus [MASK] and [unused5].',
  'supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'ΑΒΓ Ελληνικά, русский текст, עברית, العربية, हिन्दी, ไทย',
  '',
  '   ',
  'x'.repeat(150) + ' ' + 'y'.repeat(99),
];

// Deterministic noisy review-like texts: vocabulary words, ## pieces, unicode, punctuation.
function randomTexts(vocab: string[], n: number): string[] {
  const rnd = mulberry32(12345);
  const extras = ['é', 'ü', 'ñ', '—', '…', '😀', '中', '<br />', '!!', '?', ',', '"', "'", 'ß', 'Ⅻ', 'ﬁ', '①', '\t'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const len = 1 + Math.floor(rnd() * 120);
    for (let j = 0; j < len; j++) {
      const r = rnd();
      let w = vocab[Math.floor(rnd() * vocab.length)].replace(/^##/, '');
      if (r < 0.15) w = extras[Math.floor(rnd() * extras.length)];
      else if (r < 0.3) w = w.toUpperCase();
      else if (r < 0.4) w += vocab[Math.floor(rnd() * vocab.length)].replace(/^##/, '');
      words.push(w);
    }
    out.push(words.join(rnd() < 0.5 ? ' ' : '  '));
  }
  return out;
}

async function rustBert(vocabFile: string, lowercase: boolean, stripAccents = lowercase) {
  const model = await rust.WordPiece.fromFile(vocabFile, { unkToken: '[UNK]' });
  const t = new rust.Tokenizer(model);
  // strip_accents follows lowercase in BertTokenizerFast (strip_accents=None).
  t.setNormalizer(rust.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents, lowercase }));
  t.setPreTokenizer(rust.bertPreTokenizer());
  t.setPostProcessor(
    rust.templateProcessing('[CLS]:0 $A:0 [SEP]:0', '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1', [
      ['[CLS]', 101],
      ['[SEP]', 102],
    ]),
  );
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return t;
}

async function expectSame(
  ours: TextTokenizer,
  ref: import('@anush008/tokenizers').Tokenizer,
  a: string,
  b: string | undefined,
  maxLength: number,
) {
  ref.setTruncation(maxLength, { strategy: 'LongestFirst' as never });
  const want = await ref.encode(a, b ?? null);
  const got = ours.encode(a, b, maxLength);
  expect({ a, b, ids: got.ids, typeIds: got.typeIds }).toEqual({
    a,
    b,
    ids: want.getIds(),
    typeIds: want.getTypeIds(),
  });
}

describe('tokenizer parity with the Hugging Face Rust tokenizers library (real BERT vocab)', () => {
  let dir: string;
  let vocab: string[];
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tok-parity-'));
    vocab = realBertVocab();
    writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('vocab is realistic: 30,522 entries with ## pieces and special tokens at BERT ids', () => {
    expect(vocab.length).toBe(30522);
    expect([vocab[0], vocab[100], vocab[101], vocab[102], vocab[103]]).toEqual([
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
    ]);
    expect(vocab.filter((t) => t.startsWith('##')).length).toBeGreaterThan(5000);
  });

  test('tokenizer.json built from vocab.txt is what the Rust library writes back (round trip)', async () => {
    const ours = await loadTokenizer(dir);
    const out = path.join(dir, 'rt.json');
    rust.Tokenizer.fromString(JSON.stringify(ours.json)).save(out);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(ours.json);
  });

  test('uncased: singles, hand-picked hard texts and 300 random texts, several max_length', async () => {
    const ours = await loadTokenizer(dir);
    const ref = await rustBert(path.join(dir, 'vocab.txt'), true);
    for (const t of TEXTS) for (const m of [8, 16, 512]) await expectSame(ours, ref, t, undefined, m);
    for (const t of randomTexts(vocab, 300)) await expectSame(ours, ref, t, undefined, 64);
  });

  test('uncased pairs with longest_first truncation (both long, one long, odd/even budgets)', async () => {
    const ours = await loadTokenizer(dir);
    const ref = await rustBert(path.join(dir, 'vocab.txt'), true);
    const texts = [...TEXTS, ...randomTexts(vocab, 40)];
    for (let i = 0; i < texts.length; i++) {
      const a = texts[i];
      const b = texts[(i * 7 + 3) % texts.length];
      for (const m of [9, 10, 17, 32, 128]) await expectSame(ours, ref, a, b, m);
    }
  });

  test('cased (do_lower_case=false in tokenizer_config.json) keeps case and accents like Rust', async () => {
    const cased = mkdtempSync(path.join(os.tmpdir(), 'tok-cased-'));
    try {
      writeFileSync(path.join(cased, 'vocab.txt'), vocab.join('\n') + '\n');
      writeFileSync(path.join(cased, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
      const ours = await loadTokenizer(cased);
      expect((ours.json.normalizer as { lowercase: boolean }).lowercase).toBe(false);
      const ref = await rustBert(path.join(cased, 'vocab.txt'), false);
      for (const t of TEXTS) await expectSame(ours, ref, t, 'Second Séntence', 24);
    } finally {
      rmSync(cased, { recursive: true, force: true });
    }
  });

  test('strip_accents=false with lowercasing (tokenizer_config.json) keeps accents like Rust', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'tok-accents-'));
    try {
      writeFileSync(path.join(d, 'vocab.txt'), vocab.join('\n') + '\n');
      writeFileSync(
        path.join(d, 'tokenizer_config.json'),
        JSON.stringify({ do_lower_case: true, strip_accents: false }),
      );
      const ours = await loadTokenizer(d);
      const ref = await rustBert(path.join(d, 'vocab.txt'), true, false);
      const got = ours.encode(TEXTS[1], undefined, 64).ids;
      const plain = (await loadTokenizer(dir)).encode(TEXTS[1], undefined, 64).ids;
      expect(got).not.toEqual(plain); // accents matter for this text
      for (const t of TEXTS) await expectSame(ours, ref, t, undefined, 64);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("without truncation, the same ids and token types as @huggingface/tokenizers' own encode (singles and pairs)", async () => {
    const ours = await loadTokenizer(dir);
    const { Tokenizer } = await import('@huggingface/tokenizers');
    const lib = new Tokenizer(ours.json, {});
    const texts = [...TEXTS.filter((t) => t.trim() !== ''), ...randomTexts(vocab, 30)];
    for (let i = 0; i < texts.length; i++) {
      const a = texts[i];
      const b = texts[(i + 5) % texts.length];
      const single = lib.encode(a, { return_token_type_ids: true });
      expect(ours.encode(a, undefined, 100000)).toEqual({ ids: single.ids, typeIds: single.token_type_ids });
      const pair = lib.encode(a, { text_pair: b, return_token_type_ids: true });
      expect(ours.encode(a, b, 100000)).toEqual({ ids: pair.ids, typeIds: pair.token_type_ids });
    }
  });

  test('older tokenizer.json with a BertProcessing post_processor matches Rust reading the same file', async () => {
    const base = await loadTokenizer(dir);
    const other = mkdtempSync(path.join(os.tmpdir(), 'tok-bertproc-'));
    try {
      const json = {
        ...base.json,
        post_processor: { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] },
      };
      writeFileSync(path.join(other, 'tokenizer.json'), JSON.stringify(json));
      const ours = await loadTokenizer(other);
      const ref = rust.Tokenizer.fromFile(path.join(other, 'tokenizer.json'));
      for (const t of TEXTS) for (const m of [11, 40]) await expectSame(ours, ref, t, TEXTS[1], m);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('a saved checkpoint tokenizer.json loads back and encodes identically', async () => {
    const ours = await loadTokenizer(dir);
    const ckpt = path.join(dir, 'ckpt');
    await saveTokenizer(ours, ckpt);
    const again = await loadTokenizer(ckpt);
    const ref = rust.Tokenizer.fromFile(path.join(ckpt, 'tokenizer.json'));
    for (const t of TEXTS) await expectSame(again, ref, t, 'and a pair', 20);
    const cfg = JSON.parse(readFileSync(path.join(ckpt, 'tokenizer_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ tokenizer_class: 'BertTokenizer', pad_token: '[PAD]' });
  });
});
