// SentencePiece's Precompiled normalizer (nmt_nfkc, the charsmap XLM-R's tokenizer.json carries)
// against the Hugging Face Rust library's: every BMP code point alone and after a combining mark,
// astral samples, and grapheme clusters (emoji ZWJ sequences, flags, Hangul, combining runs, CRLF).
// @huggingface/tokenizers' own approximation (NFKC) differs for ~160 of these code points.
import { Tokenizer } from '@huggingface/tokenizers';
import { PrecompiledCharsmap, splitPrecompiled } from '../../src/tokenizer/precompiled.js';
import { TokenizerError } from '../../src/tokenizer/errors.js';
import { mulberry32 } from '../../src/util/random.js';
import { nmtNfkcCharsmap, rustTokenizer } from '../helpers/encoder-tokenizers.js';

const tokenizerJson = (normalizer: unknown) => ({
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer,
  pre_tokenizer: null,
  post_processor: null,
  decoder: null,
  model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0]], byte_fallback: false },
});

const b64 = nmtNfkcCharsmap();
const ours = PrecompiledCharsmap.fromBase64(b64, 'nmt_nfkc');
const rust = rustTokenizer(tokenizerJson({ type: 'Precompiled', precompiled_charsmap: b64 })).getNormalizer()!;

function mismatches(texts: Iterable<string>, normalize: (s: string) => string): string[] {
  const out: string[] = [];
  for (const s of texts) {
    const want = rust.normalizeString(s);
    if (normalize(s) !== want) out.push(`${JSON.stringify(s)} -> ${JSON.stringify(want)}`);
  }
  return out;
}

function* bmp(): Generator<string> {
  for (let cp = 1; cp < 0x10000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    const c = String.fromCodePoint(cp);
    yield c;
    yield `a${c}\u0301b`;
  }
}

function* astral(): Generator<string> {
  const r = mulberry32(4);
  for (let i = 0; i < 5000; i++) yield `x${String.fromCodePoint(0x10000 + Math.floor(r() * 0x20000))}y`;
}

const CLUSTERS = [
  '👨‍👩‍👧‍👦 family',
  '🏳️‍🌈 and 🏴‍☠️',
  '🇫🇷🇩🇪 flags',
  '👍🏽 skin tone',
  '각 한국어 각 jamo',
  'e\u0301\u0302\u0303 o\u0308\u0304',
  'line\r\nbreak\u2028sep',
  'ﬁ ﬂ ① Ⅻ ＦＵＬＬ ～ 〜 ㌔ ㈱ ½',
  'zero\u200bwidth\u200cnon\u200djoiner\ufeffbom',
  'क्षि देवनागरी ไทย',
  // long ASCII runs (copied as they are) next to clusters: a combining mark, a Prepend mark, CR LF
  'abcde\u0301fgh and more plain text\u200d',
  'xyz\u0600abcdef \u0600\u0661 tail',
  'first line\r\nsecond line\tend  ',
];

test('every BMP code point, alone and inside a cluster, normalizes as the Rust library does', () => {
  expect(mismatches(bmp(), (s) => ours.normalize(s)).slice(0, 10)).toEqual([]);
});

test('astral code points and grapheme clusters (emoji ZWJ sequences, flags, jamo) too', () => {
  expect(mismatches(astral(), (s) => ours.normalize(s)).slice(0, 10)).toEqual([]);
  expect(mismatches(CLUSTERS, (s) => ours.normalize(s))).toEqual([]);
});

test("the library's built-in approximation is not enough (why this normalizer exists)", () => {
  const lib = new Tokenizer(tokenizerJson({ type: 'Precompiled', precompiled_charsmap: b64 }) as never, {});
  const approx = (lib as unknown as { normalizer: { normalize(s: string): string } }).normalizer;
  const wrong = mismatches([...CLUSTERS, ...[...bmp()].filter((_, i) => i % 2 === 0)], (s) => approx.normalize(s));
  expect(wrong.length).toBeGreaterThan(5);
  expect(wrong.some((w) => w.includes('family'))).toBe(true); // U+200D inside the emoji sequence
});

test('splitPrecompiled takes a leading Precompiled off the normalizer; a broken charsmap names the file', () => {
  const seq = {
    type: 'Sequence',
    normalizers: [{ type: 'Precompiled', precompiled_charsmap: b64 }, { type: 'Lowercase' }],
  };
  expect(splitPrecompiled(tokenizerJson(seq), 'x')!.rest.normalizer).toEqual({
    type: 'Sequence',
    normalizers: [{ type: 'Lowercase' }],
  });
  expect(
    splitPrecompiled(tokenizerJson({ type: 'Precompiled', precompiled_charsmap: b64 }), 'x')!.rest.normalizer,
  ).toBeNull();
  expect(splitPrecompiled(tokenizerJson({ type: 'NFKC' }), 'x')).toBeUndefined();
  expect(() =>
    PrecompiledCharsmap.fromBase64(Buffer.from([255, 255, 0, 0, 1]).toString('base64'), 'm/tokenizer.json'),
  ).toThrow(TokenizerError);
  expect(() => PrecompiledCharsmap.fromBase64('AAA=', 'm/tokenizer.json')).toThrow(
    /m\/tokenizer\.json: precompiled_charsmap is not a SentencePiece charsmap/,
  );
});
