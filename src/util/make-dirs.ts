// `mkdir -p` that always ends. Node's recursive mkdir (fs.mkdir/mkdirSync with recursive: true)
// spins forever at full CPU when a folder's parent exists but cannot hold it: mkdir answers ENOENT
// (under /proc, through a dangling symlink), Node reads that as "the parent is missing", makes the
// parent (EEXIST) and tries the child again. mkdirSync blocks the event loop meanwhile, so no
// signal handler runs either. Here each missing level is made once, top down, and any failure is
// final, with the folder and the reason in the message.
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export class MakeDirError extends Error {
  override readonly name = 'MakeDirError';
  constructor(
    /** The errno code of the failed call (ENOENT, EACCES, EROFS, ENOTDIR, EEXIST, ...). */
    readonly code: string | undefined,
    /** The level that could not be made, or the file in the way (ENOTDIR). */
    readonly path: string,
    /** Why, in words. */
    readonly reason: string,
    target: string,
  ) {
    super(
      code === 'ENOTDIR'
        ? path === target
          ? `${path} is a file, not a folder`
          : `cannot create the folder ${target}: ${path} is a file, not a folder`
        : `cannot create the folder ${path}: ${reason}${code ? ` (${code})` : ''}`,
    );
  }
}

/** Creates `dir` and its missing parents; returns the first folder it created (undefined when `dir` existed), as mkdir -p. */
export function makeDirsSync(dir: string): string | undefined {
  let first: string | undefined;
  for (const p of missingLevels(resolve(dir))) {
    try {
      mkdirSync(p);
    } catch (e) {
      if (code(e) === 'EEXIST' && isFolder(p)) continue; // made meanwhile by someone else
      throw explain(e, p);
    }
    first ??= p;
  }
  return first;
}

/** makeDirsSync with the mkdir calls off the event loop. */
export async function makeDirs(dir: string): Promise<string | undefined> {
  let first: string | undefined;
  for (const p of missingLevels(resolve(dir))) {
    try {
      await mkdir(p);
    } catch (e) {
      if (code(e) === 'EEXIST' && isFolder(p)) continue;
      throw explain(e, p);
    }
    first ??= p;
  }
  return first;
}

/** The levels of `full` that do not exist, top down (throws when an existing level is not a folder). */
function missingLevels(full: string): string[] {
  const levels: string[] = [];
  for (let p = full; ; p = dirname(p)) {
    const s = statOrCode(p);
    if (typeof s !== 'string') {
      if (s.isDirectory()) break;
      throw notAFolder(p, full);
    }
    // ENOTDIR: a level above is a file, found further up.
    if (s !== 'ENOENT' && s !== 'ENOTDIR') throw explain(Object.assign(new Error(s), { code: s }), p);
    levels.unshift(p);
    if (dirname(p) === p) break;
  }
  return levels;
}

function isFolder(p: string): boolean {
  const s = statOrCode(p);
  return typeof s !== 'string' && s.isDirectory();
}

function statOrCode(p: string): Stats | string {
  try {
    return statSync(p);
  } catch (e) {
    return code(e) ?? 'ERROR';
  }
}

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

function notAFolder(p: string, full: string): MakeDirError {
  return new MakeDirError('ENOTDIR', p, 'is a file, not a folder', full);
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EEXIST: 'something that is not a folder is in the way (a dangling link?)',
  ENAMETOOLONG: 'the name is too long',
};

function explain(e: unknown, p: string): MakeDirError {
  const c = code(e);
  const why =
    c === 'ENOENT'
      ? `${dirname(p)} does not take new folders (a virtual file system such as /proc, or a dangling link)`
      : ((c && REASONS[c]) ?? (e as Error).message);
  return new MakeDirError(c, p, why, p);
}
