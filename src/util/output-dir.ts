// Output paths are checked before anything runs: a folder flag (output_dir, cache_dir) must name a
// folder that exists and takes new files, or one that can be created; a file flag (log_file,
// predictions_file, predict's output) must not be a folder, and its folder must pass the same
// check. So a bad path is a clear error naming the flag and the fix, not a raw ENOTDIR/EISDIR
// after training, nor a spin in Node's mkdir (make-dirs.ts). The checks leave nothing behind: a
// folder made to try is removed again.
import { mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makeDirsSync, MakeDirError } from './make-dirs.js';

export class OutputDirError extends Error {
  override readonly name = 'OutputDirError';
}

/** Throws OutputDirError unless `path` is a folder that takes new entries, or can be created. */
export function checkOutputDir(path: string, flag = 'output_dir'): void {
  const full = resolve(path);
  const fail = (why: string, fix = 'choose another folder') =>
    new OutputDirError(`--${flag} ${full} ${why}. Fix: ${fix}.`);
  let created: string | undefined;
  try {
    created = makeDirsSync(full);
  } catch (e) {
    if (!(e instanceof MakeDirError)) throw e;
    if (e.code === 'ENOTDIR')
      throw e.path === full
        ? fail('is a file, not a folder', 'choose a folder (it is created if missing), or move the file away')
        : fail(`cannot be created: ${e.path} is a file, not a folder`);
    const where = e.path === full ? '' : `making ${e.path}: `;
    throw fail(`cannot be created: ${where}${e.reason}${e.code ? ` (${e.code})` : ''}`);
  }
  try {
    // Something new inside it: proves it takes entries (read-only mounts, permissions).
    rmdirSync(mkdtempSync(join(full, '.textclf-check-')));
  } catch (e) {
    throw fail(`cannot be written to (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    if (created) removeChain(full, created);
  }
}

/**
 * Throws OutputDirError unless `path` can be written as a file: not a folder, and its folder passes
 * checkOutputDir. `example` is the file name the fix suggests inside a folder that was given.
 */
export function checkOutputFile(path: string, flag: string, example: string): void {
  const full = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch {
    // missing (or below a file): the folder check says why
  }
  if (isDir)
    throw new OutputDirError(
      `--${flag} ${full} is a folder, not a file. Fix: name a file, e.g. --${flag} ${join(full, example)}.`,
    );
  try {
    checkOutputDir(dirname(full), flag);
  } catch (e) {
    if (!(e instanceof OutputDirError)) throw e;
    throw new OutputDirError(
      `--${flag} ${full}: its folder ${e.message.slice(`--${flag} `.length)}`.replace(
        /Fix: .*$/,
        `Fix: write ${basename(full)} somewhere else.`,
      ),
    );
  }
}

/** Removes `dir` and its parents up to `top` (made by the check), deepest first. */
function removeChain(dir: string, top: string): void {
  for (let d = dir; d.length >= top.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top) return;
  }
}
