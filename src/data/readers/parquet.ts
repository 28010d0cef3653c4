// Parquet through hyparquet (snappy built in; gzip, zstd, brotli, lz4 from hyparquet-compressors),
// streamed one row group at a time: the footer is read first, then only the chosen columns of one
// row group at a time, from a file handle (never the whole file in memory).
import { open, type FileHandle } from 'node:fs/promises';
import {
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Example } from '../types.js';
import { chooseColumns, flagCell, parseLabel, splitLabels, type ColumnOptions, type Columns } from './columns.js';
import { DataFileError, fileSystemError } from './errors.js';

/** An AsyncBuffer over an open file: each slice is one positioned read of exactly those bytes. */
export function fileAsyncBuffer(fh: FileHandle, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const n = Math.max(0, Math.min(end, byteLength) - start);
      const buf = Buffer.allocUnsafeSlow(n); // its own ArrayBuffer, exactly n bytes
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, start + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + done}`);
        done += bytesRead;
      }
      return buf.buffer as ArrayBuffer;
    },
  };
}

/** The top-level column names of a Parquet file's schema. */
export function parquetColumns(metadata: FileMetaData): string[] {
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

export async function* readParquet(
  file: string,
  opts: ColumnOptions,
  onColumns: (c: Columns) => void,
): AsyncGenerator<Example> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw fileSystemError(e, file);
  }
  try {
    const { size } = await fh.stat();
    const buffer = fileAsyncBuffer(fh, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw new DataFileError(
        file,
        `${file} is not a readable Parquet file (${(e as Error).message}). Fix: check the file; re-export it with pyarrow or pandas' to_parquet.`,
      );
    }
    const cols = chooseColumns(file, parquetColumns(metadata), opts);
    onColumns(cols);
    const wanted = [
      ...new Set([
        cols.text,
        ...(cols.textPair ? [cols.textPair] : []),
        ...(cols.labels ?? (cols.label ? [cols.label] : [])),
      ]),
    ];
    const fail = (row: number, msg: string): never => {
      throw new DataFileError(file, `${file}: row ${row}: ${msg}`);
    };
    let row = 0;
    let groupStart = 0;
    for (const [g, group] of metadata.row_groups.entries()) {
      const groupRows = Number(group.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({
          file: buffer,
          metadata,
          columns: wanted,
          rowStart: groupStart,
          rowEnd: groupStart + groupRows,
          compressors,
        });
      } catch (e) {
        throw new DataFileError(
          file,
          `${file}: row group ${g + 1} of ${metadata.row_groups.length} cannot be decoded (${(e as Error).message}). Fix: re-export the file with a standard codec (snappy, gzip, zstd).`,
        );
      }
      groupStart += groupRows;
      for (const r of rows) {
        row++;
        yield toExample(r, row, cols, opts, (m) => fail(row, m));
      }
    }
    if (row === 0) throw new DataFileError(file, `${file} has a schema but no rows. Fix: check the file.`);
  } finally {
    await fh.close();
  }
}

function toExample(
  r: Record<string, unknown>,
  row: number,
  cols: Columns,
  opts: ColumnOptions,
  fail: (m: string) => never,
): Example {
  const text = (name: string): string => {
    const v = r[name];
    if (typeof v === 'string') return v;
    return fail(
      `'${name}' must be text, got ${v === null || v === undefined ? 'null' : typeof v}. Fix: fill in the text or drop the row.`,
    );
  };
  const ex: Example = { row, text: text(cols.text), label: '' };
  if (cols.textPair) ex.textPair = text(cols.textPair);
  if (opts.noLabels) {
    if (!cols.label) return ex;
    const v = plain(r[cols.label]);
    const given = v === null || v === undefined ? '' : Array.isArray(v) ? v.join('|') : String(v);
    return { ...ex, label: given };
  }
  if (opts.multiLabel) {
    let labels: string[];
    if (cols.labels) {
      labels = cols.labels.filter((c) => {
        const v = flagCell(plain(r[c]));
        return v ?? fail(`'${c}' must be 1 or 0 (true/false), got ${show(r[c])}. Fix: correct the value.`);
      });
    } else {
      const v = plain(r[cols.label]);
      if (v === null || v === undefined) labels = [];
      else if (Array.isArray(v)) labels = [...new Set(v.map((x) => String(plain(x)).trim()))].filter((l) => l !== '');
      else if (typeof v === 'string') labels = splitLabels(v, opts.multiLabel.separator);
      else
        return fail(
          `'${cols.label}' must be a list of labels or a string of labels separated by '${opts.multiLabel.separator}', got ${show(v)}. Fix: correct the row.`,
        );
    }
    return { ...ex, label: labels.join(opts.multiLabel.separator), labels };
  }
  const v = plain(r[cols.label]);
  if (typeof v === 'number' && Number.isInteger(v)) return { ...ex, label: v };
  if (typeof v === 'string' && v.trim() !== '') return { ...ex, label: parseLabel(v) };
  if (typeof v === 'boolean') return { ...ex, label: String(v) };
  return fail(
    `label '${cols.label}' must be a non-empty string or an integer, got ${show(v)}. Fix: correct the label or drop the row.`,
  );
}

/** INT64 columns decode to bigint: small ones become numbers. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

const show = (v: unknown): string => (v === null || v === undefined ? 'null' : JSON.stringify(plain(v)));
