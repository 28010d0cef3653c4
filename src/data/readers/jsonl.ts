// JSON Lines: one object per line; blank lines skipped. Columns are the first object's keys.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Example } from '../types.js';
import { chooseColumns, flagCell, parseLabel, splitLabels, type ColumnOptions, type Columns } from './columns.js';
import { DataFileError, fileSystemError } from './errors.js';
import { Utf8Guard } from './utf8-guard.js';

export async function* readJsonl(
  file: string,
  opts: ColumnOptions,
  onColumns: (c: Columns) => void,
): AsyncGenerator<Example> {
  const input = createReadStream(file);
  const guard = new Utf8Guard(file);
  input.on('error', (e) => guard.destroy(e));
  const lines = createInterface({ input: input.pipe(guard), crlfDelay: Infinity });
  let cols: Columns | undefined;
  let line = 0;
  let row = 0;
  const fail = (msg: string): never => {
    throw new DataFileError(file, `${file}: line ${line}: ${msg}`, line);
  };
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (!text.trim()) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        fail(`not valid JSON (${(err as Error).message}). Fix: write one JSON object per line.`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        fail('expected a JSON object. Fix: write one JSON object per line.');
      const o = obj as Record<string, unknown>;
      if (!cols) {
        cols = chooseColumns(file, Object.keys(o), opts);
        onColumns(cols);
      }
      row++;
      const field = (name: string): string => {
        const v = o[name];
        if (typeof v === 'string') return v;
        return fail(
          `'${name}' must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}. Fix: give every line a '${name}' string.`,
        );
      };
      const ex: Example = opts.noLabels
        ? {
            row,
            text: field(cols.text),
            label: cols.label ? givenLabel(o[cols.label], opts.multiLabel?.separator) : '',
          }
        : opts.multiLabel
          ? multiLabelExample(row, field(cols.text), o, cols, opts.multiLabel.separator, fail)
          : { row, text: field(cols.text), label: jsonLabel(o[cols.label], cols.label, fail) };
      if (cols.textPair) ex.textPair = field(cols.textPair);
      yield ex;
    }
  } catch (err) {
    if (guard.errored) throw fileSystemError(guard.errored, file);
    throw fileSystemError(err, file);
  } finally {
    input.destroy();
  }
  if (!cols) throw new DataFileError(file, `${file} is empty: expected one JSON object per line. Fix: check the file.`);
}

/** Multi-label: an array of label strings, a separated string, or several 0/1 fields. */
function multiLabelExample(
  row: number,
  text: string,
  o: Record<string, unknown>,
  cols: Columns,
  separator: string,
  fail: (m: string) => never,
): Example {
  let labels: string[];
  if (cols.labels) {
    labels = cols.labels.filter((c) => {
      const v = flagCell(o[c]);
      return v ?? fail(`'${c}' must be 1 or 0 (true/false), got ${JSON.stringify(o[c])}. Fix: correct the value.`);
    });
  } else {
    const v = o[cols.label];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x))))
      labels = splitLabels(v.join(separator), separator);
    else if (typeof v === 'string') labels = splitLabels(v, separator);
    else if (v === null) labels = [];
    else
      return fail(
        `'${cols.label}' must be a list of labels or a string of labels separated by '${separator}', got ${v === undefined ? 'nothing' : JSON.stringify(v)}. Fix: correct the line.`,
      );
  }
  return { row, text, label: labels.join(separator), labels };
}

function jsonLabel(v: unknown, name: string, fail: (m: string) => never): string | number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') return parseLabel(v);
  return fail(
    `label '${name}' must be a non-empty string or an integer, got ${v === undefined ? 'nothing' : JSON.stringify(v)}. ` +
      'Fix: correct the label or remove the line.',
  );
}

/** A label cell kept as given (predict): text as it is, numbers as digits, a list joined. */
function givenLabel(v: unknown, separator = '|'): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(String).join(separator);
  return typeof v === 'string' ? v : JSON.stringify(v);
}
