// Deterministic generator of short movie-review-like texts with a sentiment label. The label is a
// function of the text (no label noise), but finding it needs negation and word order.
import { mulberry32 } from '../util/random.js';
import * as W from './words.js';
import { demoWords } from './vocab.js';

/** Reviews are kept to this many tokens with [CLS] and [SEP] (the demo's max_length). */
export const DEMO_MAX_LENGTH = 32;

export type Sentiment = 'negative' | 'positive';
export interface Review {
  review: string;
  sentiment: Sentiment;
}

type Rnd = () => number;
const pick = <T>(r: Rnd, a: readonly T[]): T => a[Math.floor(r() * a.length)];
const maybe = (r: Rnd, p: number, s: string) => (r() < p ? `${s} ` : '');

/** One sentiment clause whose polarity is `positive` (as written, before any outer negation). */
function clause(r: Rnd, positive: boolean): string {
  const adj = pick(r, positive ? W.POSITIVE_ADJ : W.NEGATIVE_ADJ);
  return `${pick(r, W.SUBJECTS)} ${pick(r, W.COPULAS)} ${maybe(r, 0.4, pick(r, W.INTENSIFIERS))}${adj}`;
}

/** The sentence that decides the label `positive`. */
function core(r: Rnd, positive: boolean): string {
  const kind = r();
  if (kind < 0.35) return `${clause(r, positive)}.`;
  if (kind < 0.57) {
    // negation flips the adjective
    const adj = pick(r, positive ? W.NEGATIVE_ADJ : W.POSITIVE_ADJ);
    return `${pick(r, W.SUBJECTS)} ${pick(r, W.NEGATIONS)} ${maybe(r, 0.3, pick(r, W.INTENSIFIERS))}${adj}.`;
  }
  if (kind < 0.75)
    return `i ${maybe(r, 0.3, pick(r, ['really', 'truly']))}${pick(r, positive ? W.POSITIVE_VERB : W.NEGATIVE_VERB)} ${pick(r, W.OBJECTS)}.`;
  if (kind < 0.9)
    return `i ${pick(r, ['did not', "didn't", 'never'])} ${pick(r, positive ? W.NEGATIVE_VERB_BASE : W.POSITIVE_VERB_BASE)} ${pick(r, W.OBJECTS)}.`;
  // contrast (10%): the clause after "but" decides, the first one says the opposite
  return `${clause(r, !positive)}, but ${clause(r, positive)}.`;
}

export function review(r: Rnd, positive: boolean): string {
  const parts = [core(r, positive)];
  const fillers = r() < 0.5 ? 0 : r() < 0.7 ? 1 : 2;
  for (let i = 0; i < fillers; i++) {
    const f = pick(r, W.FILLERS);
    if (r() < 0.5) parts.unshift(f);
    else parts.push(f);
  }
  const text = parts.join(' ');
  // Surface noise: some reviews are capitalised or end with "!"; the tokenizer lowercases.
  const cap = r() < 0.3 ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return r() < 0.15 ? cap.replace(/\.$/, '!') : cap;
}

export interface DemoSplits {
  train: Review[];
  valid: Review[];
  test: Review[];
}

export const DEMO_SIZES = { train: 2000, valid: 300, test: 300 } as const;

/**
 * Balanced splits (exactly half positive, shuffled), with no review text repeated across or within
 * splits, so test accuracy measures generalisation rather than memory. Same seed -> same files.
 */
export function generateDemoSplits(
  seed = 42,
  sizes: { train: number; valid: number; test: number } = DEMO_SIZES,
): DemoSplits {
  const r = mulberry32(seed);
  const seen = new Set<string>();
  const split = (n: number): Review[] => {
    const out: Review[] = [];
    for (let i = 0; i < n; i++) {
      const positive = i < Math.floor(n / 2) ? true : i < 2 * Math.floor(n / 2) ? false : r() < 0.5;
      let text: string;
      do text = review(r, positive);
      while (seen.has(text.toLowerCase()) || demoWords(text).length + 2 > DEMO_MAX_LENGTH);
      seen.add(text.toLowerCase());
      out.push({ review: text, sentiment: positive ? 'positive' : 'negative' });
    }
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { train: split(sizes.train), valid: split(sizes.valid), test: split(sizes.test) };
}
