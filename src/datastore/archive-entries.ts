// Lists an archive's entries without extracting anything, so entries that would land outside
// the target directory (zip-slip: `../`, absolute paths) or links (symlinks and hard links can
// point anywhere) are refused before extraction (extract.ts) starts. Corrupt archives fail here too, with the
// parser's reason. Each entry carries the size it claims (zip: central directory; tar: header)
// for the expansion check (extract-budget.ts).
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import yauzl from 'yauzl';

export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
export interface ArchiveEntry {
  name: string;
  kind: EntryKind;
  /** Uncompressed size in bytes, as the archive lists it (not verified here). */
  size: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** A zip entry's name (UTF-8 when flagged, else CP437, of which ASCII is a subset) and kind. */
export function zipEntryInfo(e: yauzl.Entry): { name: string; kind: EntryKind } {
  const raw = e.fileName as unknown as Buffer;
  // General purpose bit 11: UTF-8 names.
  const name = raw.toString((e.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
  const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
  const madeByUnix = e.versionMadeBy >> 8 === 3;
  let kind: EntryKind = name.endsWith('/') ? 'dir' : 'file';
  if (madeByUnix && mode !== 0) {
    if (mode === S_IFLNK) kind = 'symlink';
    else if (mode === S_IFDIR) kind = 'dir';
    else if (mode !== S_IFREG) kind = 'other';
  }
  return { name, kind };
}

export function tarEntryKind(type: string | null | undefined): EntryKind {
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory') return 'dir';
  if (type === 'symlink') return 'symlink';
  if (type === 'link') return 'hardlink';
  return 'other';
}

export async function listZipEntries(file: string): Promise<ArchiveEntry[]> {
  // yauzl's own name checks (absolute, `..`) surface as errors: keep them unchecked here and
  // apply ours, so every archive type gets the same message.
  const zip = await yauzl.openPromise(file, { decodeStrings: false, validateEntrySizes: true });
  const entries: ArchiveEntry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        const { name, kind } = zipEntryInfo(e);
        entries.push({ name, kind, size: e.uncompressedSize });
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/** One tar entry's contents (tar-stream does not export its type). */
type TarEntryStream = tarStream.ExtractEvents['entry'][1];

export async function listTarEntries(file: string, gzip: boolean): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  await walkTar(file, gzip, (header, stream, next) => {
    entries.push({ name: header.name, kind: tarEntryKind(header.type), size: header.size ?? 0 });
    stream.on('end', next);
    stream.resume();
  });
  return entries;
}

/**
 * Reads a tar (gunzipped when `gzip`) entry by entry: `onEntry` consumes each entry's stream and
 * calls `next`, or `fail` to stop with an error. Not stream.pipeline: with tar-stream's streamx
 * Writable it can settle before zlib reports a truncated gzip, leaving that error unhandled, so
 * every stream keeps its error handler until the end.
 */
export async function walkTar(
  file: string,
  gzip: boolean,
  onEntry: (header: tarStream.Header, stream: TarEntryStream, next: () => void, fail: (err: Error) => void) => void,
): Promise<void> {
  const extract = tarStream.extract();
  const source = createReadStream(file);
  const streams: NodeJS.EventEmitter[] = [source, extract];
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => onEntry(header, stream, () => next(), reject));
    extract.on('finish', () => resolve());
    if (gzip) {
      const gunzip = createGunzip();
      streams.push(gunzip);
      source.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
    } else {
      source.pipe(extract as unknown as NodeJS.WritableStream);
    }
    for (const s of streams) s.on('error', reject);
  }).finally(() => {
    source.destroy();
    extract.destroy();
  });
}

/** Why an entry may not be extracted, or undefined when it is a plain file or folder inside. */
export function unsafeEntryReason(e: ArchiveEntry): string | undefined {
  if (e.kind === 'symlink') return 'is a symbolic link';
  if (e.kind === 'hardlink') return 'is a hard link';
  if (e.kind === 'other') return 'is not a regular file or folder (device, fifo, ...)';
  if (e.name.includes('\\')) return 'contains a backslash';
  if (e.name.includes('\0')) return 'contains a NUL byte';
  if (e.name.startsWith('/') || /^[A-Za-z]:/.test(e.name)) return 'is an absolute path';
  if (e.name.split('/').includes('..')) return "escapes the target folder with '..'";
  return undefined;
}
