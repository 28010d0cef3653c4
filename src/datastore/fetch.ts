// Fetch-or-reuse for one cache entry (name@version): a hit returns at once, with no network; a
// miss obtains the raw file into a private staging folder, checks it (type, sha256, archive
// entries), extracts it, and only then copies it into the cache, whose `.complete` marker comes
// last. The staging folder is removed whatever happens, so a failure leaves the cache as it was.
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findCached, storeInCache, type RetryBackoff, withToolCache } from './cache.js';
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
  retry?: RetryBackoff;
  fileName: string;
  /** Explicit limit on an archive's expanded size (bytes); free disk space always limits it. */
  maxExtractBytes?: number;
  /** Puts the raw datastore file at `dest` (download or copy). */
  obtain: (dest: string) => Promise<void>;
}

export async function fetchOrReuse(p: FetchPlan): Promise<ResolvedDatastore> {
  const shownVersion = p.shownVersion ?? displayVersion(p.version);
  const hit = await findCached(p.root, p.name, p.version);
  if (hit) {
    if (p.sha256) await checkRecord(hit.path, p.sha256, p.shown);
    p.log.info(`Datastore ${p.name}@${shownVersion} from the cache (${hit.path}); no download`);
    return fromCacheEntry(hit.path, p.name, shownVersion);
  }
  return (await obtainAndStore(p, () => p.version, shownVersion)).resolved;
}

export interface Stored {
  resolved: ResolvedDatastore;
  sha256: string;
  version: string;
}

/**
 * Obtains the raw file, checks it and names its cache version from its sha256 (`versionFor`). An
 * entry of that version already in the cache is reused as is (same content: nothing extracted);
 * otherwise the checked tree is stored under it.
 */
export async function obtainAndStore(
  p: Omit<FetchPlan, 'version'>,
  versionFor: (sha256: string) => string,
  knownVersion?: string,
): Promise<Stored> {
  // Everything happens in a private staging folder next to the cache (same filesystem); only a
  // fully checked tree is copied into the cache, and the staging folder goes in every case.
  const firstCreated = await mkdir(p.root, { recursive: true });
  await sweepStaleStaging(p.root);
  const staging = await mkdtemp(join(p.root, '.staging-'));
  let ok = false;
  try {
    const raw = join(staging, 'download', p.fileName);
    await mkdir(dirname(raw));
    p.log.info(`Fetching datastore ${p.shown} as ${p.name}${knownVersion ? `@${knownVersion}` : ''}`);
    await withToolCache(p.root, staging, p.retry, () => p.obtain(raw));
    const format = await checkContent(raw, p.fileName, p.shown);
    const digest = await sha256File(raw);
    if (p.sha256) checkSha256(digest, p.sha256, p.shown);
    const version = versionFor(digest);
    const shownVersion = knownVersion ?? p.shownVersion ?? displayVersion(version);
    const label = `${p.name}@${shownVersion}`;
    const existing = await findCached(p.root, p.name, version);
    if (existing) {
      ok = true;
      p.log.info(`Datastore ${label} is already cached with this content (sha256 ${digest}); reusing ${existing.path}`);
      return { resolved: await fromCacheEntry(existing.path, p.name, shownVersion), sha256: digest, version };
    }
    const tree = join(staging, 'tree');
    await mkdir(tree);
    let file: string | undefined;
    if (isArchive(format)) {
      await withToolCache(p.root, staging, p.retry, () =>
        extractArchive(raw, format, tree, p.shown, { cacheRoot: p.root, maxBytes: p.maxExtractBytes }),
      );
    } else {
      file = p.fileName;
      await rename(raw, join(tree, file));
    }
    await writeRecord(tree, { source: p.shown, sha256: digest, format, file, cachedAt: new Date().toISOString() });
    const path = await storeInCache(p.root, staging, tree, p.name, version);
    p.log.info(`Cached datastore ${label} at ${path} (sha256 ${digest})`);
    ok = true;
    return {
      resolved: { root: path, name: p.name, version: shownVersion, fromCache: false, file },
      sha256: digest,
      version,
    };
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
