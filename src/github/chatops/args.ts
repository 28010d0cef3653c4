// Splits `key=value key="a b" key=[1, 2] key=uniform(0, 1, 3)` into pairs. Shared by `/train`
// comments and the `sweep` input. Pure string handling: the values never reach a shell.

export class ArgsError extends Error {
  override name = 'ArgsError';
}

export interface KeyValue {
  key: string;
  value: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Whitespace splits words except inside quotes, [] or (); quotes are removed, `\"` escapes inside "". */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  let word = '',
    inWord = false,
    quote: '"' | "'" | undefined,
    depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) {
        quote = undefined;
        continue;
      }
      if (ch === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        word += text[++i];
        continue;
      }
      word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch) && depth === 0) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      continue;
    }
    if (ch === '[' || ch === '(') depth++;
    if ((ch === ']' || ch === ')') && depth > 0) depth--;
    word += ch;
    inWord = true;
  }
  if (quote) throw new ArgsError(`unbalanced ${quote} quote; close it or remove it`);
  if (inWord) words.push(word);
  return words;
}

/** Parses `key=value` words; collects every problem so one reply can list them all. */
export function parseKeyValues(text: string): { pairs: KeyValue[]; problems: string[] } {
  const pairs: KeyValue[] = [];
  const problems: string[] = [];
  let words: string[];
  try {
    words = tokenize(text);
  } catch (e) {
    return { pairs, problems: [(e as Error).message] };
  }
  const seen = new Set<string>();
  for (const w of words) {
    const eq = w.indexOf('=');
    const key = eq > 0 ? w.slice(0, eq) : '';
    if (eq <= 0 || !KEY.test(key)) {
      problems.push(`'${w}' is not key=value`);
      continue;
    }
    if (seen.has(key)) {
      problems.push(`'${key}' is given more than once`);
      continue;
    }
    seen.add(key);
    pairs.push({ key, value: w.slice(eq + 1) });
  }
  return { pairs, problems };
}
