// What a datastore file is: decided by its name, then checked against its first bytes, so an
// HTML error page or a truncated download is caught before an extractor sees it.
import { open } from 'node:fs/promises';

export type ArchiveFormat = 'zip' | 'tar.gz' | 'tar';
export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';
export type DatastoreFormat = ArchiveFormat | DataFormat;

const BY_SUFFIX: [string, DatastoreFormat][] = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
  ['.csv', 'csv'],
  ['.tsv', 'tsv'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.parquet', 'parquet'],
];

export const SUPPORTED_SUFFIXES = BY_SUFFIX.map(([s]) => s);

export function formatFromName(name: string): DatastoreFormat | undefined {
  const lower = name.toLowerCase();
  return BY_SUFFIX.find(([suffix]) => lower.endsWith(suffix))?.[1];
}

/** The name without its datastore suffix (`imdb.zip` -> `imdb`). */
export function stripFormatSuffix(name: string): string {
  const lower = name.toLowerCase();
  const hit = BY_SUFFIX.find(([suffix]) => lower.endsWith(suffix));
  return hit ? name.slice(0, name.length - hit[0].length) : name;
}

export function isArchive(f: DatastoreFormat): f is ArchiveFormat {
  return f === 'zip' || f === 'tar.gz' || f === 'tar';
}

export type Sniffed = 'zip' | 'gzip' | 'html' | 'empty' | 'other';

/** Classifies a file by its first bytes. */
export async function sniff(file: string): Promise<Sniffed> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return sniffBytes(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function sniffBytes(head: Buffer): Sniffed {
  if (head.length === 0) return 'empty';
  // Local file header, or the end-of-central-directory record of an empty zip.
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'zip';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  const text = head
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
  if (/^<(!doctype html|html|head|body|\?xml[^>]*>\s*<(!doctype html|html))/.test(text)) return 'html';
  return 'other';
}

/** Detects a POSIX tar by the `ustar` magic at offset 257. */
export async function looksLikeTar(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 257);
    return bytesRead === 6 && buf.toString('latin1', 0, 5) === 'ustar';
  } finally {
    await fh.close();
  }
}
