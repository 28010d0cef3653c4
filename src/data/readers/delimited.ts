// CSV and TSV through csv-parse, streamed: BOM, quotes, embedded newlines, CRLF; a row with the
// wrong number of fields fails with its line number.
import { createReadStream } from 'node:fs';
import { parse, CsvError } from 'csv-parse';
import type { Example } from '../types.js';
import { chooseColumns, flagCell, parseLabel, splitLabels, type ColumnOptions, type Columns } from './columns.js';
import { DataFileError, fileSystemError } from './errors.js';
import { Utf8Guard } from './utf8-guard.js';

export async function* readDelimited(
  file: string,
  delimiter: ',' | '\t',
  opts: ColumnOptions,
  onColumns: (c: Columns) => void,
): AsyncGenerator<Example> {
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    // TSV usually has no quoting: a stray quote inside a field is kept as text.
    relax_quotes: delimiter === '\t',
  });
  const guard = new Utf8Guard(file);
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  input.on('error', (e) => parser.destroy(e));
  guard.on('error', (e) => parser.destroy(e));
  input.pipe(guard).pipe(parser);

  let cols: Columns | undefined;
  let idx = { text: 0, pair: -1, label: 0, labels: [] as number[] };
  let row = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!cols) {
        cols = chooseColumns(
          file,
          record.map((h) => h.trim()),
          opts,
        );
        idx = {
          text: cols.all.indexOf(cols.text),
          pair: cols.textPair ? cols.all.indexOf(cols.textPair) : -1,
          label: cols.all.indexOf(cols.label),
          labels: (cols.labels ?? []).map((c) => cols!.all.indexOf(c)),
        };
        onColumns(cols);
        continue;
      }
      row++;
      if (opts.noLabels) {
        const ex: Example = { row, text: record[idx.text]!, label: idx.label >= 0 ? (record[idx.label] ?? '') : '' };
        if (idx.pair >= 0) ex.textPair = record[idx.pair]!;
        yield ex;
        continue;
      }
      if (opts.multiLabel) {
        const labels = cols.labels
          ? cols.labels.filter((c, j) => {
              const v = flagCell(record[idx.labels[j]!] ?? '');
              if (v === undefined)
                throw new DataFileError(
                  file,
                  `${file}: row ${row} (line ${info.lines}) has '${record[idx.labels[j]!]}' in label column '${c}'. Fix: use 1 or 0 (true/false).`,
                  info.lines,
                );
              return v;
            })
          : splitLabels(record[idx.label]!, opts.multiLabel.separator);
        const ex: Example = { row, text: record[idx.text]!, label: labels.join(opts.multiLabel.separator), labels };
        if (idx.pair >= 0) ex.textPair = record[idx.pair]!;
        yield ex;
        continue;
      }
      const label = record[idx.label]!;
      if (label.trim() === '') {
        throw new DataFileError(
          file,
          `${file}: row ${row} (line ${info.lines}) has an empty '${cols.label}'. ` +
            'Fix: fill in the label or remove the row.',
          info.lines,
        );
      }
      const ex: Example = { row, text: record[idx.text]!, label: parseLabel(label) };
      if (idx.pair >= 0) ex.textPair = record[idx.pair]!;
      yield ex;
    }
  } catch (err) {
    throw asDataError(err, file);
  } finally {
    input.destroy();
  }
  if (!cols)
    throw new DataFileError(
      file,
      `${file} is empty: expected a header row (e.g. review,sentiment) and data rows. Fix: check the file.`,
    );
  if (row === 0)
    throw new DataFileError(
      file,
      `${file} has a header but no data rows. Fix: check the file (or point the flag at another one).`,
    );
}

function asDataError(err: unknown, file: string): Error {
  if (err instanceof DataFileError) return err;
  if (err instanceof CsvError) {
    const line = (err as CsvError & { lines?: number }).lines;
    return new DataFileError(
      file,
      `${file}: malformed row on line ${line ?? '?'}: ${err.message}. ` +
        'Fix: quote fields that contain the delimiter, quotes ("") or newlines, and give every row the same number of fields.',
      line,
    );
  }
  return fileSystemError(err, file);
}
