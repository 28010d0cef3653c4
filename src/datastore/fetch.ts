// Fetch-or-reuse for one cache entry (name@version): a hit returns at once, with no network; a
// miss takes the entry's lock (another process caching the same entry is waited for, and its
// result reused), obtains the raw file into a private staging folder, checks it (type, sha256,
// archive entries), extracts it, and only then moves it into the cache, whose `.complete` marker
// comes last. The staging folder is removed whatever happens (a failure, a cancel), so the cache
// is left as it was.
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeDirs } from '../util/make-dirs.js';
import { findCached, storeInCache } from './cache.js';
import { withEntryLock, type LockTiming } from './entry-lock.js';
import { checkSha256, sha256File } from './checksum.js';
import { DatastoreError } from './errors.js';
import { extractArchive } from './extract.js';
import { formatFromName, isArchive, looksLikeTar, sniff, SUPPORTED_SUFFIXES, type DatastoreFormat } from './format.js';
import type { DatastoreLogger } from './logger.js';
import { checkRecord, fromCacheEntry, writeRecord } from './record.js';
import type { ResolvedDatastore } from './types.js';
import { displayVersion } from './version.js';

export interface FetchPlan {
  root: string;
  name: string;
  version: string;
  shownVersion?: string;
  sha256?: string;
  log: DatastoreLogger;
  shown: string;
  fileName: string;
  /** Explicit limit on an archive's expanded size (bytes); free disk space always limits it. */
  maxExtractBytes?: number;
  /** Puts the raw datastore file at `dest` (download or copy). */
  obtain: (dest: string) => Promise<void>;
  /** Cancels waiting for another process's lock (the download watches it too, through `obtain`). */
  signal?: AbortSignal;
  /** Lock timing (tests shorten it). */
  lockTiming?: LockTiming;
}

export async function fetchOrReuse(p: FetchPlan): Promise<ResolvedDatastore> {
  const shownVersion = p.shownVersion ?? displayVersion(p.version);
  const hit = await findCached(p.root, p.name, p.version);
  if (hit) {
    if (p.sha256) await checkRecord(hit.path, p.sha256, p.shown);
    p.log.info(`Datastore ${p.name}@${shownVersion} from the cache (${hit.path}); no download`);
    return fromCacheEntry(hit.path, p.name, shownVersion);
  }
  const firstCreated = await makeDirs(p.root);
  let ok = false;
  try {
    const resolved = await withEntryLock(
      p.root,
      p.name,
      p.version,
      async () => {
        // Another process may have cached it while we waited for the lock.
        const meanwhile = await findCached(p.root, p.name, p.version);
        if (meanwhile) {
          if (p.sha256) await checkRecord(meanwhile.path, p.sha256, p.shown);
          p.log.info(
            `Datastore ${p.name}@${shownVersion} was cached by another process (${meanwhile.path}); no download`,
          );
          return fromCacheEntry(meanwhile.path, p.name, shownVersion);
        }
        return (await obtainAndStore(p, () => p.version, shownVersion, true)).resolved;
      },
      { log: p.log, signal: p.signal, timing: p.lockTiming },
    );
    ok = true;
    return resolved;
  } finally {
    if (!ok && firstCreated) await removeEmptyChain(p.root, firstCreated);
  }
}

export interface Stored {
  resolved: ResolvedDatastore;
  sha256: string;
  version: string;
}

/**
 * Obtains the raw file, checks it and names its cache version from its sha256 (`versionFor`). An
 * entry of that version already in the cache is reused as is (same content: nothing extracted);
 * otherwise the checked tree is stored under it, holding that entry's lock (`lockHeld`: the caller
 * holds it already).
 */
export async function obtainAndStore(
  p: Omit<FetchPlan, 'version'>,
  versionFor: (sha256: string) => string,
  knownVersion?: string,
  lockHeld = false,
): Promise<Stored> {
  // Everything happens in a private staging folder next to the cache (same filesystem); only a
  // fully checked tree is moved into the cache, and the staging folder goes in every case.
  const firstCreated = await makeDirs(p.root);
  await sweepStaleStaging(p.root);
  const staging = await mkdtemp(join(p.root, '.staging-'));
  let ok = false;
  try {
    const raw = join(staging, 'download', p.fileName);
    await mkdir(dirname(raw));
    p.log.info(`Fetching datastore ${p.shown} as ${p.name}${knownVersion ? `@${knownVersion}` : ''}`);
    await p.obtain(raw);
    const format = await checkContent(raw, p.fileName, p.shown);
    const digest = await sha256File(raw);
    if (p.sha256) checkSha256(digest, p.sha256, p.shown);
    const version = versionFor(digest);
    const shownVersion = knownVersion ?? p.shownVersion ?? displayVersion(version);
    const label = `${p.name}@${shownVersion}`;
    const store = async (): Promise<Stored> => {
      const existing = await findCached(p.root, p.name, version);
      if (existing) {
        p.log.info(
          `Datastore ${label} is already cached with this content (sha256 ${digest}); reusing ${existing.path}`,
        );
        return { resolved: await fromCacheEntry(existing.path, p.name, shownVersion), sha256: digest, version };
      }
      const tree = join(staging, 'tree');
      await mkdir(tree);
      let file: string | undefined;
      if (isArchive(format)) {
        await extractArchive(raw, format, tree, p.shown, { cacheRoot: p.root, maxBytes: p.maxExtractBytes });
      } else {
        file = p.fileName;
        await rename(raw, join(tree, file));
      }
      await writeRecord(tree, { source: p.shown, sha256: digest, format, file, cachedAt: new Date().toISOString() });
      const path = await storeInCache(p.root, tree, p.name, version);
      p.log.info(`Cached datastore ${label} at ${path} (sha256 ${digest})`);
      return {
        resolved: { root: path, name: p.name, version: shownVersion, fromCache: false, file },
        sha256: digest,
        version,
      };
    };
    const stored = lockHeld
      ? await store()
      : await withEntryLock(p.root, p.name, version, store, { log: p.log, signal: p.signal, timing: p.lockTiming });
    ok = true;
    return stored;
  } finally {
    await rm(staging, { recursive: true, force: true });
    if (!ok && firstCreated) await removeEmptyChain(p.root, firstCreated);
  }
}

/** Staging folders older than this belong to a killed process (a live one is still writing). */
export const STALE_STAGING_MS = 24 * 3600 * 1000;

/** Removes staging folders left by processes killed mid-download (SIGKILL skips `finally`). */
async function sweepStaleStaging(root: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (!name.startsWith('.staging-')) continue;
    const path = join(root, name);
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
  }
}

/** Undoes `mkdir -p` after a failure: removes `dir` and its parents up to `top`, while empty. */
async function removeEmptyChain(dir: string, top: string): Promise<void> {
  for (let d = dir; d.startsWith(top); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (another entry appeared): keep it
    }
    if (d === top) return;
  }
}

/** Decides the format from the name and checks the bytes agree (HTML error pages, truncation). */
async function checkContent(file: string, fileName: string, shown: string): Promise<DatastoreFormat> {
  const kind = await sniff(file);
  let format = formatFromName(fileName);
  if (kind === 'empty')
    throw new DatastoreError(
      shown,
      `${shown} is empty (0 bytes). Fix: check the URL or file; re-upload the datastore.`,
    );
  if (kind === 'html') {
    throw new DatastoreError(
      shown,
      `${shown} returned an HTML page, not ${format ? `a ${format} file` : 'a datastore'}` +
        ' (a login, error or "download" page). Fix: use the direct download link of the file.',
    );
  }
  if (!format) {
    // No telling suffix (e.g. /download?id=...): trust the bytes.
    if (kind === 'zip') format = 'zip';
    else if (kind === 'gzip') format = 'tar.gz';
    else if (await looksLikeTar(file)) format = 'tar';
    else
      throw new DatastoreError(
        shown,
        `Cannot tell what ${shown} is. Fix: use a URL ending in ${SUPPORTED_SUFFIXES.join(', ')}.`,
      );
  }
  const expected = format === 'zip' ? 'zip' : format === 'tar.gz' ? 'gzip' : undefined;
  if (expected && kind !== expected) {
    throw new DatastoreError(
      shown,
      `${shown} is not a valid ${format} archive (its first bytes are not a ${expected} header). ` +
        'The archive is corrupt or mislabelled: check the URL, or re-create the archive.',
    );
  }
  return format;
}
