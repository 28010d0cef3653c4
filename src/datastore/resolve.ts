// The `datastore` flag -> a folder of data files on disk. Sources: an http(s) URL (downloaded,
// verified, extracted and cached once per name@version), a local archive (extracted and cached
// the same way, versioned by content), a local data file or folder (used in place), or the
// name[@version] of an entry already in the cache (no network at all).
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import * as core from '@actions/core';
import { datastoreCacheRoot, findCached, listCached, storeInCache, type RetryBackoff, withToolCache } from './cache.js';
import { checkSha256, parseSha256, sha256File } from './checksum.js';
import { downloadFile } from './download.js';
import { DatastoreError } from './errors.js';
import { extractArchive } from './extract.js';
import { formatFromName, isArchive, sniff, looksLikeTar, stripFormatSuffix, SUPPORTED_SUFFIXES, type DatastoreFormat } from './format.js';
import { defaultLogger, type DatastoreLogger } from './logger.js';
import { isHttpUrl, redactUrl, urlBasename } from './url.js';
import { cacheVersion, contentVersion, defaultUrlVersion, displayVersion } from './version.js';

export interface ResolveOptions {
  /** The `datastore` flag. */
  source: string;
  /** `datastore_version` (default: a hash of the URL, or of a local archive's content). */
  version?: string;
  /** `datastore_sha256`: checked before extraction, and against the record of a cached entry. */
  sha256?: string;
  /** `cache_dir` (see datastoreCacheRoot for the default). */
  cacheDir?: string;
  log?: DatastoreLogger;
  /** Backoff between download attempts (tool-cache default: 10-20 s). Tests shorten it. */
  retry?: RetryBackoff;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedDatastore {
  /** Folder that train_file/valid_file/test_file resolve against. */
  root: string;
  name: string;
  /** Version as the user would write it after `@` (`local` for folders and files used in place). */
  version: string;
  fromCache: boolean;
  /** Set when the datastore is a single data file: its name inside `root`. */
  file?: string;
}

/** Written into every cache entry: where it came from and the checksum of what was downloaded. */
export const RECORD_FILE = '.textclf-datastore.json';
interface CacheRecord { source: string; sha256: string; format: DatastoreFormat; file?: string; cachedAt: string }

export async function resolveDatastore(opts: ResolveOptions): Promise<ResolvedDatastore> {
  const log = opts.log ?? defaultLogger();
  const source = opts.source.trim();
  const shown = isHttpUrl(source) ? redactUrl(source) : source;
  if (!source) throw new DatastoreError(shown, 'datastore is empty. Fix: set it to a URL, a local path, or name[@version] of a cached datastore.');
  const sha256 = opts.sha256?.trim() ? parseSha256(opts.sha256, shown) : undefined;
  const userVersion = opts.version?.trim() || undefined;
  const root = datastoreCacheRoot(opts.cacheDir, opts.env);

  if (isHttpUrl(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      throw new DatastoreError(shown, `datastore '${shown}' is not a valid URL. Fix: use https://host/path/file.zip.`);
    }
    maskUrlSecrets(url, opts.env ?? process.env);
    const fileName = safeFileName(urlBasename(url.href)) || 'datastore';
    const name = entryName(fileName);
    const version = userVersion ? cacheVersion(userVersion) : defaultUrlVersion(url.href, sha256);
    return fetchOrReuse({ root, name, version, shownVersion: userVersion, sha256, log, shown, retry: opts.retry, fileName,
      obtain: (dest) => downloadFile(url.href, dest, shown) });
  }

  const path = resolvePath(source.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory()) {
      if (sha256) log.warning(`datastore_sha256 is ignored for ${shown}: it is a folder, and checksums apply to files.`);
      return { root: path, name: basename(path), version: 'local', fromCache: false };
    }
    const format = formatFromName(path);
    if (!format) {
      throw new DatastoreError(shown, `datastore ${shown} has an unknown type. Fix: use a file ending in ${SUPPORTED_SUFFIXES.join(', ')}, or a folder.`);
    }
    if (!isArchive(format)) {
      if (sha256) checkSha256(await sha256File(path), sha256, shown);
      return { root: dirname(path), name: entryName(basename(path)), version: 'local', fromCache: false, file: basename(path) };
    }
    const digest = await sha256File(path);
    if (sha256) checkSha256(digest, sha256, shown);
    const version = userVersion ? cacheVersion(userVersion) : contentVersion(digest);
    return fetchOrReuse({ root, name: entryName(basename(path)), version, shownVersion: userVersion, sha256, log, shown, fileName: basename(path),
      obtain: (dest) => copyFile(path, dest) });
  }

  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._+-]*))?$/.exec(source);
  if (m && !source.includes('/')) {
    const [, name, atVersion] = m as unknown as [string, string, string | undefined];
    const wanted = atVersion ?? userVersion;
    const hit = await findCached(root, name, wanted ? cacheVersion(wanted) : undefined);
    if (hit) {
      if (sha256) await checkRecord(hit.path, sha256, shown);
      const v = wanted ?? displayVersion(hit.version);
      log.info(`Datastore ${name}@${v} from the cache (${hit.path})`);
      return { root: hit.path, name, version: v, fromCache: true, file: await recordFile(hit.path) };
    }
    const cached = await listCached(root);
    throw new DatastoreError(shown, `datastore '${shown}' is neither a URL, an existing path, nor a cached datastore in ${root}` +
      ` (cached: ${cached.length ? cached.join(', ') : 'none'}). Fix: use the URL once to download it, or one of the cached names` +
      (opts.cacheDir ? '.' : ', or set cache_dir to where it was cached.'));
  }
  throw new DatastoreError(shown, `datastore path ${path} does not exist. Fix: check the path, or use a URL.`);
}

interface FetchPlan {
  root: string; name: string; version: string; shownVersion?: string; sha256?: string; log: DatastoreLogger; shown: string;
  retry?: RetryBackoff; fileName: string;
  /** Puts the raw datastore file at `dest` (download or copy). */
  obtain: (dest: string) => Promise<void>;
}

async function fetchOrReuse(p: FetchPlan): Promise<ResolvedDatastore> {
  const shownVersion = p.shownVersion ?? displayVersion(p.version);
  const label = `${p.name}@${shownVersion}`;
  const hit = await findCached(p.root, p.name, p.version);
  if (hit) {
    if (p.sha256) await checkRecord(hit.path, p.sha256, p.shown);
    p.log.info(`Datastore ${label} from the cache (${hit.path}); no download`);
    return { root: hit.path, name: p.name, version: shownVersion, fromCache: true, file: await recordFile(hit.path) };
  }
  // Everything happens in a private staging folder next to the cache (same filesystem); only a
  // fully checked tree is copied into the cache, and the staging folder goes in every case.
  const firstCreated = await mkdir(p.root, { recursive: true });
  const staging = await mkdtemp(join(p.root, '.staging-'));
  let ok = false;
  try {
    const raw = join(staging, 'download', p.fileName);
    await mkdir(dirname(raw));
    p.log.info(`Fetching datastore ${p.shown} as ${label}`);
    await withToolCache(p.root, staging, p.retry, () => p.obtain(raw));
    const digest = await sha256File(raw);
    if (p.sha256) checkSha256(digest, p.sha256, p.shown);
    const format = await checkContent(raw, p.fileName, p.shown);
    const tree = join(staging, 'tree');
    await mkdir(tree);
    let file: string | undefined;
    if (isArchive(format)) {
      await withToolCache(p.root, staging, p.retry, () => extractArchive(raw, format, tree, p.shown));
    } else {
      file = p.fileName;
      await rename(raw, join(tree, file));
    }
    const record: CacheRecord = { source: p.shown, sha256: digest, format, file, cachedAt: new Date().toISOString() };
    await writeFile(join(tree, RECORD_FILE), JSON.stringify(record, null, 2) + '\n');
    const path = await storeInCache(p.root, staging, tree, p.name, p.version);
    p.log.info(`Cached datastore ${label} at ${path} (sha256 ${digest})`);
    ok = true;
    return { root: path, name: p.name, version: shownVersion, fromCache: false, file };
  } finally {
    await rm(staging, { recursive: true, force: true });
    if (!ok && firstCreated) await removeEmptyChain(p.root, firstCreated);
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
  if (kind === 'empty') throw new DatastoreError(shown, `${shown} is empty (0 bytes). Fix: check the URL or file; re-upload the datastore.`);
  if (kind === 'html') {
    throw new DatastoreError(shown, `${shown} returned an HTML page, not ${format ? `a ${format} file` : 'a datastore'}` +
      ' (a login, error or "download" page). Fix: use the direct download link of the file.');
  }
  if (!format) {
    // No telling suffix (e.g. /download?id=...): trust the bytes.
    if (kind === 'zip') format = 'zip';
    else if (kind === 'gzip') format = 'tar.gz';
    else if (await looksLikeTar(file)) format = 'tar';
    else throw new DatastoreError(shown, `Cannot tell what ${shown} is. Fix: use a URL ending in ${SUPPORTED_SUFFIXES.join(', ')}.`);
  }
  const expected = format === 'zip' ? 'zip' : format === 'tar.gz' ? 'gzip' : undefined;
  if (expected && kind !== expected) {
    throw new DatastoreError(shown, `${shown} is not a valid ${format} archive (its first bytes are not a ${expected} header). ` +
      'The archive is corrupt or mislabelled: check the URL, or re-create the archive.');
  }
  return format;
}

async function readRecord(entry: string): Promise<CacheRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(entry, RECORD_FILE), 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
}

async function recordFile(entry: string): Promise<string | undefined> {
  return (await readRecord(entry))?.file;
}

async function checkRecord(entry: string, sha256: string, shown: string): Promise<void> {
  const record = await readRecord(entry);
  if (!record) {
    throw new DatastoreError(shown, `The cached datastore at ${entry} has no checksum record, so datastore_sha256 cannot be checked. ` +
      'Fix: set a new datastore_version to download it again.');
  }
  checkSha256(record.sha256, sha256, shown);
}

/**
 * On a runner the toolkit logs the full URL at debug level: register its secret parts (password,
 * presigned query) as masks first. Off the runner those lines are dropped (see withToolCache).
 */
function maskUrlSecrets(url: URL, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  const parts = [url.password, url.search.slice(1), ...[...url.searchParams.values()].filter((v) => v.length >= 8)];
  for (const part of parts) if (part) core.setSecret(part);
}

/** A file name safe as one path segment (no separators, no leading dots). */
function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
}

/** Cache entry name: the file name without its datastore suffix (`imdb.zip` -> `imdb`). */
function entryName(fileName: string): string {
  return safeFileName(stripFormatSuffix(fileName)) || 'datastore';
}
