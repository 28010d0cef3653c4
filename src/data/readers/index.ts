// Dataset files -> Example rows. streamExamples yields rows as they are parsed (a 50k-row IMDB
// file is never held as raw text and rows at once); readExamples collects them. A split may be
// several files (a Hub dataset's shards): their rows are numbered on across the files.
import { extname } from 'node:path';
import type { Example } from '../types.js';
import { withClassNames } from './class-labels.js';
import type { ColumnOptions, Columns } from './columns.js';
import { readDelimited } from './delimited.js';
import { DataFileError } from './errors.js';
import { readJsonl } from './jsonl.js';
import { readParquet } from './parquet.js';

export type { ColumnOptions, Columns } from './columns.js';
export { DataFileError } from './errors.js';
export { NoLabelsError } from './class-labels.js';

export type FileFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

export function fileFormat(file: string): FileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new DataFileError(
    file,
    `${file}: unknown file type '${ext || '(none)'}'. Fix: use .csv, .tsv, .jsonl or .parquet.`,
  );
}

/** Rows of `file` (or of several files, in order); `onColumns` is told which columns were chosen before the first row. */
export function streamExamples(
  file: string | readonly string[],
  opts: ColumnOptions = {},
  onColumns: (c: Columns) => void = () => {},
): AsyncGenerator<Example> {
  const files = typeof file === 'string' ? [file] : file;
  let chosen: Columns | undefined;
  const told = (c: Columns) => {
    chosen = c;
    onColumns(c);
  };
  const rows = files.length === 1 ? streamOne(files[0]!, opts, told) : streamMany(files, opts, told);
  return opts.classLabels
    ? withClassNames(rows, () => chosen!, files[0]!, opts.classLabels, opts.multiLabel?.separator)
    : rows;
}

function streamOne(file: string, opts: ColumnOptions, onColumns: (c: Columns) => void): AsyncGenerator<Example> {
  const format = fileFormat(file);
  if (format === 'jsonl') return readJsonl(file, opts, onColumns);
  if (format === 'parquet') return readParquet(file, opts, onColumns);
  return readDelimited(file, format === 'csv' ? ',' : '\t', opts, onColumns);
}

/** Shards of one split: the same columns in each, rows numbered on from the previous shard. */
async function* streamMany(
  files: readonly string[],
  opts: ColumnOptions,
  onColumns: (c: Columns) => void,
): AsyncGenerator<Example> {
  if (files.length === 0) throw new Error('internal: a split with no files');
  let first: Columns | undefined;
  let offset = 0;
  for (const file of files) {
    let last = 0;
    for await (const ex of streamOne(file, opts, (c) => {
      if (!first) {
        first = c;
        onColumns(c);
      } else if (c.text !== first.text || c.textPair !== first.textPair || c.label !== first.label)
        throw new DataFileError(
          file,
          `${file}: its columns (text ${c.text}, label ${c.label}) differ from ${files[0]}'s (text ${first.text}, label ${first.label}). Fix: give every file of a split the same columns.`,
        );
    })) {
      last = ex.row;
      yield { ...ex, row: offset + ex.row };
    }
    offset += last;
  }
}

export interface ReadResult {
  examples: Example[];
  columns: Columns;
  format: FileFormat;
}

export async function readExamples(file: string | readonly string[], opts: ColumnOptions = {}): Promise<ReadResult> {
  let columns: Columns | undefined;
  const examples: Example[] = [];
  for await (const ex of streamExamples(file, opts, (c) => {
    columns = c;
  }))
    examples.push(ex);
  return { examples, columns: columns!, format: fileFormat(typeof file === 'string' ? file : file[0]!) };
}
