// tokenizer.json files of the kinds the encoder families ship, made from the demo corpus and laid
// out as the real checkpoints lay them out (BPE merges learned by the Hugging Face Rust library's
// trainer, @anush008/tokenizers; Unigram pieces scored by their corpus counts):
// - roberta: byte-level BPE, <s>=0 <pad>=1 </s>=2 <unk>=3 ... <mask> last, RobertaProcessing
//   (<s> A </s></s> B </s>, all type ids 0), as roberta-base.
// - modernbert: byte-level BPE under NFC, [UNK] [CLS] [SEP] [PAD] [MASK] after the merges'
//   tokens, TemplateProcessing [CLS] A [SEP] (B [SEP]), as answerdotai/ModernBERT-base.
// - xlm-roberta: SentencePiece Unigram with Metaspace, <s> <pad> </s> <unk> first, <mask> last,
//   TemplateProcessing <s> A </s></s> B </s>, and xlm-roberta-base's normalizer: SentencePiece's
//   nmt_nfkc Precompiled charsmap (test/tokenizer/fixtures, from sentencepiece 0.1.97) + Replace.
// DistilBERT's tokenizer is BERT's WordPiece: the demo's own tokenizer.json is that kind.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const rust = require('@anush008/tokenizers') as typeof import('@anush008/tokenizers');

export type TokenizerKind = 'roberta' | 'modernbert' | 'xlm-roberta';
type Json = Record<string, unknown>;

const added = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: content === '<mask>',
  rstrip: false,
  normalized: false,
  special: true,
});

/** Trains the model of `skeleton` (a tokenizer.json with an empty model) on `texts`; the saved JSON. */
function train(skeleton: Json, texts: string[]): Json {
  const dir = mkdtempSync(join(tmpdir(), 'tok-train-'));
  try {
    writeFileSync(join(dir, 'corpus.txt'), texts.join('\n') + '\n');
    const t = rust.Tokenizer.fromString(JSON.stringify(skeleton));
    t.train([join(dir, 'corpus.txt')]);
    t.save(join(dir, 'out.json'));
    return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Json;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SentencePiece's compiled nmt_nfkc rules, base64, as tokenizer.json stores precompiled_charsmap. */
export function nmtNfkcCharsmap(): string {
  return readFileSync(join(here, '..', 'tokenizer', 'fixtures', 'nmt_nfkc.charsmap.b64'), 'utf8').trim();
}

const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

function bpe(texts: string[], normalizer: Json | null): { vocab: Map<string, number>; merges: unknown[] } {
  const skeleton = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: {},
      merges: [],
    },
  };
  const trained = train(skeleton, texts).model as { vocab: Record<string, number>; merges: unknown[] };
  // Every byte's symbol first (byte-level BPE never meets an unknown character), then the learned tokens.
  const vocab = new Map<string, number>();
  for (const ch of rust.byteLevelAlphabet().sort()) vocab.set(ch, vocab.size);
  for (const [tok] of Object.entries(trained.vocab).sort((a, b) => a[1] - b[1]))
    if (!vocab.has(tok)) vocab.set(tok, vocab.size);
  return { vocab, merges: trained.merges };
}

function robertaTokenizer(texts: string[]): Json {
  const { vocab, merges } = bpe(texts, null);
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const ids = new Map<string, number>(specials.map((s, i) => [s, i]));
  for (const tok of vocab.keys()) ids.set(tok, ids.size);
  ids.set('<mask>', ids.size);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...specials, '<mask>'].map((s) => added(ids.get(s)!, s)),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(ids),
      merges,
    },
  };
}

function modernbertTokenizer(texts: string[]): Json {
  const normalizer = { type: 'NFC' };
  const { vocab, merges } = bpe(texts, normalizer);
  const ids = new Map(vocab);
  const specials = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'];
  for (const s of specials) ids.set(s, ids.size);
  const cls = ids.get('[CLS]')!,
    sep = ids.get('[SEP]')!;
  const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
  const seq = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => ({ ...added(ids.get(s)!, s), lstrip: s === '[MASK]' })),
    normalizer,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0), seq('B', 1), special('[SEP]', 1)],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(ids),
      merges,
    },
  };
}

/**
 * SentencePiece Unigram pieces as a unigram LM over the corpus: every word (with the "▁" that
 * Metaspace puts before it), every punctuation mark and character, scored log(count / total), so
 * Viterbi keeps whole words whole (the Rust trainer, on a corpus this small, splits them into pieces
 * a tiny model learns from far more slowly).
 */
function unigramPieces(texts: string[]): [string, number][] {
  const counts = new Map<string, number>();
  const add = (p: string, n = 1) => counts.set(p, (counts.get(p) ?? 0) + n);
  for (const t of texts)
    for (const word of t.normalize('NFKC').split(/ +/).filter(Boolean)) {
      const parts = word.match(/[\p{L}\p{N}']+|[^\p{L}\p{N}']/gu) ?? [];
      parts.forEach((p, i) => add(i === 0 ? `▁${p}` : p));
      for (const ch of word) add(ch);
    }
  add('▁', texts.length);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([p, n]) => [p, Math.log(n / total)]);
}

function xlmrTokenizer(texts: string[]): Json {
  // xlm-roberta-base's normalizer: SentencePiece's nmt_nfkc charsmap, then runs of spaces to one.
  const normalizer = {
    type: 'Sequence',
    normalizers: [
      { type: 'Precompiled', precompiled_charsmap: nmtNfkcCharsmap() },
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    ],
  };
  const preTokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  const pieces = unigramPieces(texts);
  const specials = ['<s>', '<pad>', '</s>', '<unk>'];
  const vocab: [string, number][] = [...specials.map((s): [string, number] => [s, 0]), ...pieces, ['<mask>', 0]];
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...specials, '<mask>'].map((s) =>
      added(
        vocab.findIndex(([p]) => p === s),
        s,
      ),
    ),
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('<s>'), seq('A'), special('</s>')],
      pair: [special('<s>'), seq('A'), special('</s>'), special('</s>'), seq('B'), special('</s>')],
      special_tokens: {
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
}

/** A tokenizer.json of `kind` trained on `texts`. */
export function encoderTokenizerJson(kind: TokenizerKind, texts: string[]): Json {
  if (kind === 'roberta') return robertaTokenizer(texts);
  if (kind === 'modernbert') return modernbertTokenizer(texts);
  return xlmrTokenizer(texts);
}

/** The Rust library's tokenizer for the same JSON (the parity reference). */
export function rustTokenizer(json: Json): import('@anush008/tokenizers').Tokenizer {
  return rust.Tokenizer.fromString(JSON.stringify(json));
}
