// Our tokenizer (@huggingface/tokenizers + our truncation and templates) against the Hugging Face
// Rust tokenizers library on the tokenizer.json kinds of the encoder families: byte-level BPE with
// RobertaProcessing (RoBERTa), byte-level BPE with a [CLS]/[SEP] template (ModernBERT), Unigram with
// Metaspace (XLM-R) and WordPiece (DistilBERT = BERT's): ids and type ids of singles and pairs,
// truncated longest_first to several max_length, on hard hand-picked and random texts.
import { demoTokenizerJson, generateDemoSplits } from '../../src/demo/index.js';
import { TextTokenizer } from '../../src/tokenizer/index.js';
import { mulberry32 } from '../../src/util/random.js';
import { encoderTokenizerJson, rustTokenizer, type TokenizerKind } from '../helpers/encoder-tokenizers.js';

const HARD = [
  'This movie was GREAT!!! I loved it.',
  'Café, naïve résumé — déjà vu à la carte; Ångström & Øresund.',
  'Worst film ever 😡😡 <br /><br />Do not watch. 👍🏽 ok…',
  '東京と大阪で映画を見ました。很好看！ 한국어 텍스트도 있어요.',
  'He said: "it\'s (not) bad"; (really?) — 10/10, $5.99, 3.14%, e-mail: a@b.com #tag @user',
  'Tabs\tand\nnewlines\r\nand\u00a0nbsp and zero\u200bwidth and soft\u00adhyphen',
  'Literal specials: <s> </s> <pad> <mask> [CLS] [SEP] [MASK] inside text.',
  '  leading and   repeated   spaces  ',
  'ﬁ ligature, ① circled, Ⅻ roman, ＦＵＬＬＷＩＤＴＨ',
  '',
  'x'.repeat(120),
  'Family 👨‍👩‍👧 and 🏳️‍🌈 flags 🇫🇷, ZWJ\u200dhere, new letters ꟱ ꟲ 𐞁, Hangul 한국어 각',
  'Combining: e\u0301 a\u0308\u0304 ﻿BOM \u0007bell ～ wave 〜',
];

const corpus = generateDemoSplits(42).train.map((r) => r.review);

function randomTexts(n: number): string[] {
  const r = mulberry32(99);
  const words = corpus.join(' ').split(/\s+/);
  const extras = ['é', '—', '…', '😀', '中', '!!', '?', ',', '"', "'", 'ß', '  ', '\t', 'GREAT', 'Movie'];
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + Math.floor(r() * 40) }, () =>
      r() < 0.15 ? extras[Math.floor(r() * extras.length)] : words[Math.floor(r() * words.length)],
    ).join(r() < 0.5 ? ' ' : '  '),
  );
}

const KINDS: (TokenizerKind | 'distilbert')[] = ['roberta', 'modernbert', 'xlm-roberta', 'distilbert'];

test.each(KINDS)('%s: ids and type ids equal the Rust library (singles, pairs, truncation)', async (kind) => {
  const json = kind === 'distilbert' ? demoTokenizerJson() : encoderTokenizerJson(kind, corpus);
  const ours = new TextTokenizer(json, {}, `${kind} tokenizer.json`);
  const ref = rustTokenizer(json);
  const texts = [...HARD, ...randomTexts(150)];
  const pairs: [string, string | undefined, number][] = [];
  for (const t of texts) for (const m of [8, 16, 512]) pairs.push([t, undefined, m]);
  for (let i = 0; i + 1 < texts.length; i += 2) for (const m of [9, 24, 512]) pairs.push([texts[i], texts[i + 1], m]);
  let compared = 0;
  for (const [a, b, m] of pairs) {
    ref.setTruncation(m, { strategy: 'LongestFirst' as never });
    const want = await ref.encode(a, b ?? null);
    const got = ours.encode(a, b, m);
    expect({ a, b, m, ids: got.ids, typeIds: got.typeIds }).toEqual({
      a,
      b,
      m,
      ids: want.getIds(),
      typeIds: want.getTypeIds(),
    });
    compared++;
  }
  expect(compared).toBeGreaterThan(600);
  // the pad token is found without a tokenizer_config.json
  expect(ours.padId).toBe(ref.tokenToId(kind === 'roberta' || kind === 'xlm-roberta' ? '<pad>' : '[PAD]'));
});
