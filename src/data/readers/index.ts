// Dataset files -> Example rows. streamExamples yields rows as they are parsed (a 50k-row IMDB
// file is never held as raw text and rows at once); readExamples collects them.
import { extname } from 'node:path';
import type { Example } from '../types.js';
import type { ColumnOptions, Columns } from './columns.js';
import { readDelimited } from './delimited.js';
import { DataFileError } from './errors.js';
import { readJsonl } from './jsonl.js';

export type { ColumnOptions, Columns } from './columns.js';
export { DataFileError } from './errors.js';

export type FileFormat = 'csv' | 'tsv' | 'jsonl';

export function fileFormat(file: string): FileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new DataFileError(file, `${file}: unknown file type '${ext || '(none)'}'. Fix: use .csv, .tsv or .jsonl.`);
}

/** Rows of `file`; `onColumns` is told which columns were chosen before the first row. */
export function streamExamples(
  file: string,
  opts: ColumnOptions = {},
  onColumns: (c: Columns) => void = () => {},
): AsyncGenerator<Example> {
  const format = fileFormat(file);
  return format === 'jsonl'
    ? readJsonl(file, opts, onColumns)
    : readDelimited(file, format === 'csv' ? ',' : '\t', opts, onColumns);
}

export interface ReadResult {
  examples: Example[];
  columns: Columns;
  format: FileFormat;
}

export async function readExamples(file: string, opts: ColumnOptions = {}): Promise<ReadResult> {
  let columns: Columns | undefined;
  const examples: Example[] = [];
  for await (const ex of streamExamples(file, opts, (c) => {
    columns = c;
  }))
    examples.push(ex);
  return { examples, columns: columns!, format: fileFormat(file) };
}
