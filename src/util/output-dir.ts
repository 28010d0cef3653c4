// output_dir must be a folder we can create or write into. Checked before anything runs, so a path
// that is a file (or lies below one) is a clear error naming the flag, not a raw ENOTDIR from
// the first checkpoint minutes later.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class OutputDirError extends Error {
  override readonly name = 'OutputDirError';
}

/** Throws OutputDirError when `path` (or the nearest existing folder above it) is not a folder. */
export function checkOutputDir(path: string, flag = 'output_dir'): void {
  const full = resolve(path);
  for (let p = full; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(p) !== p) continue; // created later: look at its parent
      if (code === 'ENOTDIR') continue; // a parent is a file: found below
      throw new OutputDirError(
        `--${flag} ${full}: cannot be used (${(e as Error).message}). Fix: choose another folder.`,
      );
    }
    if (isDir) return;
    throw new OutputDirError(
      p === full
        ? `--${flag} ${full} is a file, not a folder. Fix: choose a folder (it is created if missing), or move the file away.`
        : `--${flag} ${full} cannot be created: ${p} is a file, not a folder. Fix: choose another folder.`,
    );
  }
}
