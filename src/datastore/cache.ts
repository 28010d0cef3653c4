// Where datastores are cached, in @actions/tool-cache's layout (<root>/<name>/<version>/any plus an
// `any.complete` marker), found with the library's `find`. The library reads RUNNER_TOOL_CACHE /
// RUNNER_TEMP from process.env at call time (not at import); `withToolCache` sets them for one
// call and restores them, so the CLI and tests can point it anywhere. Entries are trusted only
// with their marker, written after the tree is in place: a crash leaves nothing `find` accepts.
import { existsSync, statSync } from 'node:fs';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tc from '@actions/tool-cache';
import { makeDirs } from '../util/make-dirs.js';
import { cacheVersion, displayVersion } from './version.js';

/** Datastores are data, not binaries: one fixed "arch" for the (name, version, arch) key. */
export const DATASTORE_ARCH = 'any';

/** `<cache_dir>/datastores`, else `$RUNNER_TOOL_CACHE/textclf-datastores`, else `~/.cache/textclf/datastores`. */
export function datastoreCacheRoot(cacheDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (cacheDir) return join(resolve(cacheDir), 'datastores');
  if (env.RUNNER_TOOL_CACHE) return join(env.RUNNER_TOOL_CACHE, 'textclf-datastores');
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'textclf', 'datastores');
}

/** Runs `fn` with the tool cache rooted at `root` (temp files in `temp`). Not re-entrant across roots. */
export async function withToolCache<T>(root: string, temp: string, fn: () => Promise<T>): Promise<T> {
  const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };
  process.env.RUNNER_TOOL_CACHE = root;
  process.env.RUNNER_TEMP = temp;
  const restoreStdout = process.env.GITHUB_ACTIONS === 'true' ? () => {} : dropDebugCommands();
  try {
    return await fn();
  } finally {
    restoreStdout();
    restoreEnv('RUNNER_TOOL_CACHE', saved.cache);
    restoreEnv('RUNNER_TEMP', saved.temp);
  }
}

/** Outside a runner, the toolkit's `::debug::` workflow commands are noise on stdout: drops them until restored. */
function dropDebugCommands(): () => void {
  const original = process.stdout.write;
  const filtered = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && chunk.startsWith('::debug::')) {
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  };
  process.stdout.write = filtered as typeof process.stdout.write;
  return () => {
    if (process.stdout.write === filtered) process.stdout.write = original;
  };
}

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

export interface CachedEntry {
  path: string;
  version: string;
}

/** A completed entry for name@version, or with no version the most recently cached one. */
export async function findCached(root: string, name: string, version?: string): Promise<CachedEntry | undefined> {
  return withToolCache(root, root, async () => {
    if (version) {
      const path = tc.find(name, version, DATASTORE_ARCH);
      return path ? { path, version } : undefined;
    }
    const versions = tc.findAllVersions(name, DATASTORE_ARCH);
    const newest = versions
      .map((v) => ({ v, t: statSync(join(root, name, v, `${DATASTORE_ARCH}.complete`)).mtimeMs }))
      .sort((a, b) => b.t - a.t)[0];
    return newest ? { path: join(root, name, newest.v, DATASTORE_ARCH), version: newest.v } : undefined;
  });
}

/**
 * The completed entry `name@wanted` means, `wanted` written as a user's datastore_version, as
 * listCached shows it, or as stored (URL hashes, content versions). Undefined when none, or when
 * two entries show as the same (then the caller's message lists them).
 */
export async function findShownVersion(root: string, name: string, wanted: string): Promise<CachedEntry | undefined> {
  const given = await findCached(root, name, cacheVersion(wanted));
  if (given) return given;
  const versions = await withToolCache(root, root, async () => tc.findAllVersions(name, DATASTORE_ARCH));
  const match = versions.filter((v) => v === wanted || displayVersion(v) === wanted);
  return match.length === 1 ? { path: join(root, name, match[0], DATASTORE_ARCH), version: match[0] } : undefined;
}

/** `name@version` of every completed entry, for "not found" messages. */
export async function listCached(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = (await readdir(root)).filter((n) => !n.startsWith('.'));
  return withToolCache(root, root, async () =>
    names.flatMap((n) => tc.findAllVersions(n, DATASTORE_ARCH).map((v) => `${n}@${displayVersion(v)}`)).sort(),
  );
}

/**
 * Moves a finished tree (in a staging folder on the same filesystem) into the cache as
 * name@version, then writes the `.complete` marker. The caller holds the entry's lock
 * (entry-lock.ts), so nobody else writes there; a leftover of a crashed process is replaced.
 */
export async function storeInCache(root: string, tree: string, name: string, version: string): Promise<string> {
  const dir = join(root, name, version);
  const path = join(dir, DATASTORE_ARCH);
  const marker = `${path}.complete`;
  await rm(marker, { force: true });
  await rm(path, { recursive: true, force: true });
  await makeDirs(dir);
  await rename(tree, path);
  await writeFile(marker, '');
  return path;
}
