// Write to a temp file next to the target, then rename: a crash or a concurrent reader never sees a
// half-written file (rename within one directory is atomic on POSIX and NTFS).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeDirsSync } from './make-dirs.js';

let serial = 0;

/** Calls `write(tmp)` to fill a temp file beside `path` (parent dirs created), then renames it onto `path`. */
export function replaceFileAtomic(path: string, write: (tmp: string) => void): void {
  makeDirsSync(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${serial++}.tmp`);
  try {
    write(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  replaceFileAtomic(path, (tmp) => writeFileSync(tmp, data));
}

/** Pretty JSON (2-space indent, trailing newline), written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
