// Which columns hold the text, the optional text pair and the label: the flags when given,
// else the tutorial's review/sentiment, else text/label. Multi-label data has its labels in one
// column (split by a separator) or in several 0/1 columns (label_column a,b,c).
import { DataFileError } from './errors.js';

export interface ColumnOptions {
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  /** Multi-label rows: labels split by `separator`, or the 0/1 columns of a comma-separated labelColumn. */
  multiLabel?: { separator: string };
  /** Text only (scoring new data): no label column is required; rows get label '', or with `keepLabel` the label column's raw cell when the file has one. */
  noLabels?: boolean;
  /** With noLabels: keep a label column's cells as they are (predict writes them next to its predictions). */
  keepLabel?: boolean;
  /** Class names by label column (a dataset card's ClassLabel features): integer labels become these names. */
  classLabels?: Readonly<Record<string, readonly string[]>>;
}
export interface Columns {
  text: string;
  textPair?: string;
  /** The label column (several 0/1 columns: their names joined by commas). */
  label: string;
  /** Multi-label from several 0/1 columns: the columns, in the order given (= label order). */
  labels?: string[];
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
  if (opts.noLabels) {
    const textPair = opts.textPairColumn ? pick('text_pair_column', opts.textPairColumn, []) : undefined;
    // predict keeps the given label next to its prediction: the label_column, else a default name
    const label = !opts.keepLabel
      ? ''
      : opts.labelColumn
        ? pick('label_column', opts.labelColumn, [])
        : (header.find((h) => ['labels', ...DEFAULTS.label].includes(h.toLowerCase()) && h !== text) ?? '');
    return { text, textPair, label, all: header };
  }
  if (opts.labelColumn?.includes(',')) {
    const labels = opts.labelColumn.split(',').map((c) => c.trim());
    if (!opts.multiLabel)
      throw new DataFileError(
        file,
        `${file}: label_column '${opts.labelColumn}' names several columns, which is multi-label data. Fix: set problem_type multi_label_classification, or name one column.`,
      );
    for (const c of labels) pick('label_column', c, []);
    if (new Set(labels).size !== labels.length)
      throw new DataFileError(
        file,
        `${file}: label_column '${opts.labelColumn}' names a column twice. Fix: list each once.`,
      );
    const textPair = opts.textPairColumn ? pick('text_pair_column', opts.textPairColumn, []) : undefined;
    return { text, textPair, label: labels.join(','), labels, all: header };
  }
  // multi-label datasets usually call their column "labels" (Hugging Face's name)
  const label = pick(
    'label_column',
    opts.labelColumn,
    opts.multiLabel ? ['labels', ...DEFAULTS.label] : DEFAULTS.label,
  );
  const textPair = opts.textPairColumn ? pick('text_pair_column', opts.textPairColumn, []) : undefined;
  return { text, textPair, label, all: header };
}

/** The labels of one multi-label cell: split, trimmed, empty parts and repeats dropped. */
export function splitLabels(cell: string, separator: string): string[] {
  return [...new Set(cell.split(separator).map((l) => l.trim()))].filter((l) => l !== '');
}

/** A 0/1 label column's cell: 1/0, true/false, yes/no; undefined for anything else. */
export function flagCell(raw: unknown): boolean | undefined {
  if (raw === 1 || raw === true) return true;
  if (raw === 0 || raw === false) return false;
  if (typeof raw !== 'string') return undefined;
  const t = raw.trim().toLowerCase();
  if (['1', '1.0', 'true', 'yes'].includes(t)) return true;
  if (['0', '0.0', 'false', 'no'].includes(t)) return false;
  return undefined;
}

/** Integer-looking labels become numbers ("1" -> 1), so label maps can sort them numerically. */
export function parseLabel(raw: string): string | number {
  const t = raw.trim();
  return /^-?(0|[1-9]\d{0,14})$/.test(t) ? Number(t) : t;
}
