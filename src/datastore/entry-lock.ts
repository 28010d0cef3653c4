// One process at a time per cache entry (name@version). Several runners on one machine share one
// tool cache, so two jobs may fetch the same datastore at the same moment: the first takes the
// lock and caches it, the second waits and then finds the entry cached (no second download, no
// half-copied tree). The lock is a directory (mkdir is atomic on every filesystem, NFS included)
// whose mtime the holder refreshes; a lock left by a killed process goes stale and is taken over.
import { hostname } from 'node:os';
import { mkdir, readFile, rename, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cancellableSleep } from '../util/cancel.js';
import { makeDirs } from '../util/make-dirs.js';
import type { DatastoreLogger } from './logger.js';

export interface LockTiming {
  /** A lock whose mtime is older than this belongs to a dead process. */
  staleMs: number;
  /** How often the holder refreshes its lock's mtime. */
  refreshMs: number;
  /** How often a waiter looks again. */
  pollMs: number;
}

export const LOCK_TIMING: LockTiming = { staleMs: 60_000, refreshMs: 10_000, pollMs: 250 };

export interface LockOptions {
  log?: DatastoreLogger;
  signal?: AbortSignal;
  timing?: LockTiming;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
}

/** Where the lock of `name@version` lives under the cache root (hidden, so never listed as an entry). */
export function lockPath(root: string, name: string, version: string): string {
  return join(root, '.locks', `${name}@${version}.lock`);
}

/** Runs `fn` holding the lock of name@version; waits (cancellably) while another process holds it. */
export async function withEntryLock<T>(
  root: string,
  name: string,
  version: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const timing = opts.timing ?? LOCK_TIMING;
  const path = lockPath(root, name, version);
  let told = false;
  while (!(await tryAcquire(path))) {
    if (await takeOverIfStale(path, timing.staleMs)) continue;
    if (!told) {
      told = true;
      const owner = await readOwner(path);
      opts.log?.info(
        `Waiting for ${owner ? `process ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another process'}, ` +
          `which is caching datastore ${name} (lock ${path})`,
      );
    }
    await cancellableSleep(timing.pollMs, opts.signal, `waiting for the cache lock of ${name}`);
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, timing.refreshMs);
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    await rm(path, { recursive: true, force: true });
    // Leave no trace when no other lock is held (a failed fetch leaves the cache as it was).
    await rmdir(dirname(path)).catch(() => {});
  }
}

async function tryAcquire(path: string): Promise<boolean> {
  for (let tries = 1; ; tries++) {
    try {
      await mkdir(path);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // `.locks` is missing (first lock, or the last holder just removed it): create it, try again
      // (a few times: a folder that keeps answering ENOENT must not spin here).
      if (code === 'ENOENT' && tries < 5) await makeDirs(dirname(path));
      else throw e;
    }
  }
  const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  await writeFile(join(path, 'owner.json'), JSON.stringify(owner));
  return true;
}

/**
 * Removes a lock nobody refreshed for `staleMs` (its holder was killed). It is first renamed to a
 * unique name, so of several waiters that saw it stale only one removes it.
 */
async function takeOverIfStale(path: string, staleMs: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return true; // released meanwhile: try again at once
  if (Date.now() - st.mtimeMs <= staleMs) return false;
  const moved = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(path, moved);
  } catch {
    return true; // another waiter took it over first
  }
  await rm(moved, { recursive: true, force: true });
  return true;
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(join(path, 'owner.json'), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}
