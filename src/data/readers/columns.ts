// Which columns hold the text, the optional text pair and the label: the flags when given,
// else the tutorial's review/sentiment, else text/label.
import { DataFileError } from './errors.js';

export interface ColumnOptions {
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
}
export interface Columns {
  text: string;
  textPair?: string;
  label: string;
  all: string[];
}

const DEFAULTS = { text: ['review', 'text'], label: ['sentiment', 'label'] };

export function chooseColumns(file: string, header: string[], opts: ColumnOptions): Columns {
  const found = `Columns found: ${header.map((c) => `'${c}'`).join(', ') || 'none'}.`;
  const pick = (flag: string, given: string | undefined, defaults: string[]): string => {
    if (given) {
      if (header.includes(given)) return given;
      throw new DataFileError(
        file,
        `${file}: ${flag} '${given}' is not a column. ${found} Fix: set ${flag} to one of them.`,
      );
    }
    // Defaults match case-insensitively (a `Review,Sentiment` header works too).
    for (const d of defaults) {
      const hit = header.find((h) => h.toLowerCase() === d);
      if (hit !== undefined) return hit;
    }
    throw new DataFileError(
      file,
      `${file}: no ${defaults.map((d) => `'${d}'`).join(' or ')} column. ${found} ` +
        `Fix: set ${flag} to the right column.`,
    );
  };
  const text = pick('text_column', opts.textColumn, DEFAULTS.text);
  const label = pick('label_column', opts.labelColumn, DEFAULTS.label);
  const textPair = opts.textPairColumn ? pick('text_pair_column', opts.textPairColumn, []) : undefined;
  return { text, textPair, label, all: header };
}

/** Integer-looking labels become numbers ("1" -> 1), so label maps can sort them numerically. */
export function parseLabel(raw: string): string | number {
  const t = raw.trim();
  return /^-?(0|[1-9]\d{0,14})$/.test(t) ? Number(t) : t;
}
