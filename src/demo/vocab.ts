// The demo's WordPiece vocab: every word the generator can emit (so no [UNK]), plus single
// characters and ## characters so any other lowercase ASCII text still tokenizes without [UNK].
import { bertTokenizerJson, BERT_DEFAULTS } from '../tokenizer/bert-json.js';
import * as W from './words.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const PUNCT = /([!-/:-@[-`{-~])/;

/** Lowercased words and punctuation marks of a text, split as BertPreTokenizer splits ASCII. */
export function demoWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .flatMap((w) => w.split(PUNCT))
    .filter((w) => w.length > 0);
}

export function demoVocab(): string[] {
  const lists = [
    W.POSITIVE_ADJ,
    W.NEGATIVE_ADJ,
    W.POSITIVE_VERB,
    W.NEGATIVE_VERB,
    W.POSITIVE_VERB_BASE,
    W.NEGATIVE_VERB_BASE,
    W.SUBJECTS,
    W.INTENSIFIERS,
    W.NEGATIONS,
    W.COPULAS,
    W.OBJECTS,
    W.FILLERS,
    ["i really truly did not didn't never but , . !"],
  ];
  const words = new Set<string>();
  for (const list of lists) for (const s of list) for (const w of demoWords(s)) words.add(w);
  const chars: string[] = [];
  for (let c = 33; c < 127; c++) chars.push(String.fromCharCode(c).toLowerCase());
  const charSet = [...new Set(chars)];
  const pieces = charSet.filter((c) => /[a-z0-9]/.test(c)).map((c) => `##${c}`);
  const rest = [...words].filter((w) => !charSet.includes(w)).sort();
  return [...SPECIALS, ...charSet, ...pieces, ...rest];
}

/** tokenizer.json for the demo vocab (lowercasing BERT WordPiece). */
export function demoTokenizerJson(): Record<string, unknown> {
  return bertTokenizerJson(demoVocab(), BERT_DEFAULTS, 'demo vocab');
}
