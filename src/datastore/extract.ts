// Extracts an archive in-process (yauzl for zip, tar-stream + zlib for tar/tar.gz: the libraries
// that list it), so no `unzip` or `tar` needs to be installed. First the listing is checked: unsafe
// entries (zip-slip, absolute paths, links, devices) and archives too big for the cache's disk
// (extract-budget.ts) are refused before anything is written. Then only folders and regular files
// are written, each inside `dest`, and no entry may yield more bytes than it lists (a lying
// header is caught as it happens); the finished tree is checked once more.
import { createWriteStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import {
  listTarEntries,
  listZipEntries,
  tarEntryKind,
  unsafeEntryReason,
  walkTar,
  zipEntryInfo,
  type ArchiveEntry,
} from './archive-entries.js';
import { makeDirs } from '../util/make-dirs.js';
import { DatastoreError } from './errors.js';
import { checkExpandedSize, checkExtractedSize, formatBytes, type ExtractLimits } from './extract-budget.js';
import type { ArchiveFormat } from './format.js';

const REBUILD = 'rebuild the archive with relative paths (one top folder is fine), plain files and no links';

/** An entry produced more bytes than its header lists. */
class LyingHeaderError extends Error {
  constructor(
    readonly entry: string,
    readonly listed: number,
  ) {
    super(`entry '${entry}' holds more than the ${listed} bytes it lists`);
  }
}

/** Something the listing did not show turned up while extracting (the two parses disagree). */
class UnexpectedEntryError extends Error {}

export async function extractArchive(
  file: string,
  format: ArchiveFormat,
  dest: string,
  source: string,
  limits: ExtractLimits,
): Promise<void> {
  let entries: ArchiveEntry[];
  try {
    entries = format === 'zip' ? await listZipEntries(file) : await listTarEntries(file, format === 'tar.gz');
  } catch (err) {
    throw new DatastoreError(
      source,
      `${source} is not a readable ${format} archive (${(err as Error).message}). ` +
        'The download may be truncated or the file is not really a ' +
        format +
        ': check the URL, or re-create the archive.',
    );
  }
  for (const e of entries) {
    const reason = unsafeEntryReason(e);
    if (reason) {
      throw new DatastoreError(source, `Refusing to extract ${source}: entry '${e.name}' ${reason}. Fix: ${REBUILD}.`);
    }
  }
  if (!entries.some((e) => e.kind === 'file')) {
    throw new DatastoreError(
      source,
      `${source} is an empty ${format} archive (no files). Fix: point datastore at an archive that contains your CSV/TSV/JSONL files.`,
    );
  }
  const listed = entries.reduce((sum, e) => sum + (e.kind === 'file' ? e.size : 0), 0);
  await checkExpandedSize(listed, limits, source);
  try {
    if (format === 'zip') await extractZip(file, dest);
    else await extractTar(file, dest, format === 'tar.gz');
  } catch (err) {
    if (err instanceof DatastoreError) throw err;
    if (err instanceof LyingHeaderError) {
      throw new DatastoreError(
        source,
        `Refusing ${source}: ${err.message} (${formatBytes(err.listed)}), so its headers lie (a zip bomb or a corrupt archive). ` +
          'Fix: re-create the archive with a standard zip/tar tool.',
      );
    }
    if (err instanceof UnexpectedEntryError)
      throw new DatastoreError(source, `Refusing to extract ${source}: ${err.message}. Fix: ${REBUILD}.`);
    throw new DatastoreError(
      source,
      `Extracting ${source} failed (${(err as Error).message}). ` +
        'The archive is corrupt or uses a feature textclf does not read (encryption, an unusual compression method): ' +
        'check the URL, or re-create the archive with a standard zip/tar tool.',
    );
  }
  checkExtractedSize(await plainTreeSize(dest, dest, source), listed, source);
}

/** `dest/name`, refusing (again: the listing was checked) anything that would land outside `dest`. */
function target(dest: string, name: string, kind: string): string {
  const why = unsafeEntryReason({ name, kind: 'file', size: 0 });
  const path = resolve(dest, name.replace(/\/+$/, ''));
  if (why || (path !== resolve(dest) && !path.startsWith(resolve(dest) + sep)))
    throw new UnexpectedEntryError(`${kind} entry '${name}' ${why ?? 'escapes the target folder'}`);
  return path;
}

/** Passes at most `listed` bytes; one more is a lying header. */
function capped(name: string, listed: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > listed ? new LyingHeaderError(name, listed) : null, chunk);
    },
  });
}

async function writeEntry(stream: Readable, path: string, name: string, listed: number): Promise<void> {
  await makeDirs(dirname(path));
  // 'wx': a name listed twice is refused rather than silently overwritten by the second copy.
  await pipeline(stream, capped(name, listed), createWriteStream(path, { flags: 'wx', mode: 0o644 }));
}

async function extractZip(file: string, dest: string): Promise<void> {
  // Sizes are checked by `capped` (with our message), not by yauzl.
  const zip = await yauzl.openPromise(file, { decodeStrings: false, validateEntrySizes: false });
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (e: yauzl.Entry) => {
        const { name, kind } = zipEntryInfo(e);
        const next = async () => {
          if (kind === 'dir') {
            await makeDirs(target(dest, name, kind));
            return;
          }
          if (kind !== 'file') throw new UnexpectedEntryError(`entry '${name}' is a ${kind}`);
          if (e.isEncrypted()) throw new Error(`entry '${name}' is encrypted`);
          const stream = await zip.openReadStreamPromise(e);
          await writeEntry(stream, target(dest, name, kind), name, e.uncompressedSize);
        };
        next().then(() => zip.readEntry(), fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function extractTar(file: string, dest: string, gzip: boolean): Promise<void> {
  await walkTar(file, gzip, (header, stream, next, fail) => {
    const kind = tarEntryKind(header.type);
    const name = header.name;
    const write = async () => {
      if (kind === 'dir') {
        await makeDirs(target(dest, name, kind));
        stream.resume();
        return;
      }
      if (kind !== 'file') throw new UnexpectedEntryError(`entry '${name}' is a ${kind}`);
      await writeEntry(stream as unknown as Readable, target(dest, name, kind), name, header.size ?? 0);
    };
    write().then(
      () => next(),
      (err: Error) => {
        stream.resume();
        fail(err);
      },
    );
  });
}

/** Total size of the regular files under `dir`; anything else (links, devices) is refused. */
async function plainTreeSize(root: string, dir: string, source: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) total += await plainTreeSize(root, path, source);
    else if (st.isFile()) total += st.size;
    else {
      throw new DatastoreError(
        source,
        `Refusing ${source}: extraction produced '${path.slice(root.length + 1)}', ` +
          `which is not a regular file. Fix: ${REBUILD}.`,
      );
    }
  }
  return total;
}
