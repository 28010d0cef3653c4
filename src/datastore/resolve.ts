// The `datastore` flag -> a folder of data files on disk. Sources, tried in this order: an
// http(s) URL (downloaded, verified, extracted and cached once per name@version), a Hugging Face
// dataset hf://datasets/OWNER/NAME[@REVISION] (hf-dataset.ts: cached per commit), an existing
// local path (a folder or data file is used in place; an archive is extracted and cached like a
// download, versioned by content), or the name[@version] of an entry already in the cache (no
// network at all). With datastore_refresh a cached URL is first checked against its source
// (refresh.ts).
import { existsSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { RetryBackoff } from '../net/download.js';
import { datastoreCacheRoot, findCached, findShownVersion, listCached } from './cache.js';
import { checkSha256, parseSha256, sha256File } from './checksum.js';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS } from '../net/download.js';
import { downloadFile } from './download.js';
import { resolveHubDataset } from './hf-dataset.js';
import { isHubDatasetUrl } from './hf-url.js';
import { DatastoreError } from './errors.js';
import { maxExtractBytes } from './extract-budget.js';
import { fetchOrReuse } from './fetch.js';
import { lastCheckedCopy, refreshFromSource } from './refresh.js';
import type { ResolvedDatastore } from './types.js';
import { formatFromName, isArchive, SUPPORTED_SUFFIXES } from './format.js';
import { defaultLogger, type DatastoreLogger } from './logger.js';
import { entryName, safeFileName } from './names.js';
import { checkRecord, fromCacheEntry } from './record.js';
import { isHttpUrl, maskUrlSecrets, redactUrl, urlBasename } from './url.js';
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
  /** Backoff between download attempts (default: 10-20 s). Tests shorten it. */
  retry?: RetryBackoff;
  /**
   * `download_timeout` in ms: the longest silence allowed from a server (connecting, waiting for
   * the answer, a pause in the body) before the download fails (default 30 s; 0 = no limit).
   */
  downloadTimeoutMs?: number;
  /** `download_time_limit` in ms: the whole download, retries included (default none; 0 = none). */
  downloadTimeLimitMs?: number;
  /** The run's cancel signal: ends a download or a wait for another process's lock at once. */
  signal?: AbortSignal;
  /** How often a long download logs its progress (default 10 s). */
  progressIntervalMs?: number;
  /**
   * `datastore_refresh`: check a cached URL datastore against its source (HEAD with the stored
   * ETag/Last-Modified, else download + sha256) instead of trusting the cache. Ignored when
   * `version` or `sha256` pins the content.
   */
  refresh?: boolean;
  /**
   * Refuse archives listing more than this many uncompressed bytes (default: TEXTCLF_MAX_EXTRACT_BYTES,
   * else no limit besides the cache disk's free space).
   */
  maxExtractBytes?: number;
  /** Read for RUNNER_TOOL_CACHE, XDG_CACHE_HOME, GITHUB_ACTIONS and TEXTCLF_MAX_EXTRACT_BYTES (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** hf:// datastores: the dataset config (subset) to read (`dataset_config`). */
  datasetConfig?: string;
  /** hf:// datastores: the Hub host (`hub_url`; default HF_ENDPOINT, else huggingface.co). */
  hubUrl?: string;
}

interface Request {
  source: string;
  shown: string;
  sha256?: string;
  userVersion?: string;
  root: string;
  log: DatastoreLogger;
  opts: ResolveOptions;
  maxExtractBytes?: number;
}

export async function resolveDatastore(opts: ResolveOptions): Promise<ResolvedDatastore> {
  const source = opts.source.trim();
  const shown = isHttpUrl(source) ? redactUrl(source) : source;
  if (!source)
    throw new DatastoreError(
      shown,
      'datastore is empty. Fix: set it to a URL, a local path, or name[@version] of a cached datastore.',
    );
  const req: Request = {
    source,
    shown,
    opts,
    sha256: opts.sha256?.trim() ? parseSha256(opts.sha256, shown) : undefined,
    userVersion: opts.version?.trim() || undefined,
    root: datastoreCacheRoot(opts.cacheDir, opts.env),
    log: opts.log ?? defaultLogger(),
    maxExtractBytes: maxExtractBytes(opts.maxExtractBytes, opts.env ?? process.env, shown),
  };
  if (isHttpUrl(source)) return resolveUrl(req);
  if (isHubDatasetUrl(source)) return resolveHub(req);
  const path = resolvePath(source.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  if (existsSync(path)) return resolveLocal(req, path);
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*(@[A-Za-z0-9][A-Za-z0-9._+-]*)?$/.test(source)) return resolveCached(req);
  throw new DatastoreError(shown, `datastore path ${path} does not exist. Fix: check the path, or use a URL.`);
}

async function resolveUrl(req: Request): Promise<ResolvedDatastore> {
  let url: URL;
  try {
    url = new URL(req.source);
  } catch {
    throw new DatastoreError(
      req.shown,
      `datastore '${req.shown}' is not a valid URL. Fix: use https://host/path/file.zip.`,
    );
  }
  maskUrlSecrets(url, req.opts.env ?? process.env);
  const fileName = safeFileName(urlBasename(url.href)) || 'datastore';
  const name = entryName(fileName);
  const common = {
    root: req.root,
    name,
    fileName,
    log: req.log,
    shown: req.shown,
    maxExtractBytes: req.maxExtractBytes,
    signal: req.opts.signal,
    obtain: (dest: string) =>
      downloadFile({
        url: url.href,
        dest,
        shown: req.shown,
        timeoutMs: req.opts.downloadTimeoutMs,
        timeLimitMs: req.opts.downloadTimeLimitMs,
        signal: req.opts.signal,
        retry: req.opts.retry,
        log: req.log,
        progressIntervalMs: req.opts.progressIntervalMs,
      }),
  };
  // datastore_version and datastore_sha256 pin the content: nothing to check.
  const pinned = Boolean(req.userVersion || req.sha256);
  if (req.opts.refresh && pinned)
    req.log.info(
      `datastore_refresh: ${req.shown} is pinned by ${req.userVersion ? 'datastore_version' : 'datastore_sha256'}; not checking the source`,
    );
  if (req.opts.refresh && !pinned)
    return refreshFromSource({
      ...common,
      url: url.href,
      urlVersion: defaultUrlVersion(url.href),
      timeoutMs: req.opts.downloadTimeoutMs,
    });
  // Without refresh: the copy the last refreshing run checked, else the one cached under the URL's hash.
  const checked = pinned ? undefined : await lastCheckedCopy(req.root, name, url.href);
  if (checked) {
    const version = displayVersion(checked.version);
    req.log.info(
      `Datastore ${name}@${version} from the cache (${checked.path}); no download (last checked copy of ${req.shown})`,
    );
    return fromCacheEntry(checked.path, name, version);
  }
  return fetchOrReuse({
    ...common,
    sha256: req.sha256,
    version: req.userVersion ? cacheVersion(req.userVersion) : defaultUrlVersion(url.href, req.sha256),
    shownVersion: req.userVersion,
  });
}

async function resolveHub(req: Request): Promise<ResolvedDatastore> {
  if (req.sha256)
    throw new DatastoreError(
      req.shown,
      `datastore_sha256 does not apply to ${req.shown}: a Hub dataset is pinned by its revision. Fix: remove datastore_sha256; write hf://datasets/OWNER/NAME@COMMIT to pin a commit.`,
    );
  if (req.userVersion)
    req.log.notice(
      `datastore_version is ignored for ${req.shown}: the Hub commit is the version (pin one with @REVISION)`,
    );
  return resolveHubDataset({
    source: req.source,
    root: req.root,
    config: req.opts.datasetConfig,
    hubUrl: req.opts.hubUrl,
    timeoutMs: req.opts.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
    timeLimitMs: req.opts.downloadTimeLimitMs,
    signal: req.opts.signal,
    log: req.log,
    retry: req.opts.retry,
    progressIntervalMs: req.opts.progressIntervalMs,
    env: req.opts.env ?? process.env,
  });
}

async function resolveLocal(req: Request, path: string): Promise<ResolvedDatastore> {
  if (statSync(path).isDirectory()) {
    if (req.sha256)
      req.log.warning(`datastore_sha256 is ignored for ${req.shown}: it is a folder, and checksums apply to files.`);
    return { root: path, name: basename(path), version: 'local', fromCache: false };
  }
  const format = formatFromName(path);
  if (!format) {
    throw new DatastoreError(
      req.shown,
      `datastore ${req.shown} has an unknown type. ` +
        `Fix: use a file ending in ${SUPPORTED_SUFFIXES.join(', ')}, or a folder.`,
    );
  }
  const digest = await sha256File(path);
  if (req.sha256) checkSha256(digest, req.sha256, req.shown);
  if (!isArchive(format)) {
    return {
      root: dirname(path),
      name: entryName(basename(path)),
      version: 'local',
      fromCache: false,
      file: basename(path),
    };
  }
  return fetchOrReuse({
    root: req.root,
    name: entryName(basename(path)),
    fileName: basename(path),
    sha256: req.sha256,
    log: req.log,
    shown: req.shown,
    maxExtractBytes: req.maxExtractBytes,
    signal: req.opts.signal,
    version: req.userVersion ? cacheVersion(req.userVersion) : contentVersion(digest),
    shownVersion: req.userVersion,
    obtain: (dest) => copyFile(path, dest),
  });
}

async function resolveCached(req: Request): Promise<ResolvedDatastore> {
  const [name, atVersion] = req.source.split('@') as [string, string | undefined];
  const wanted = atVersion ?? req.userVersion;
  const hit = wanted ? await findShownVersion(req.root, name, wanted) : await findCached(req.root, name);
  if (hit) {
    if (req.sha256) await checkRecord(hit.path, req.sha256, req.shown);
    const version = wanted ?? displayVersion(hit.version);
    req.log.info(`Datastore ${name}@${version} from the cache (${hit.path})`);
    return fromCacheEntry(hit.path, name, version);
  }
  const cached = await listCached(req.root);
  throw new DatastoreError(
    req.shown,
    `datastore '${req.shown}' is neither a URL, an existing path, nor a cached datastore in ` +
      `${req.root} (cached: ${cached.length ? cached.join(', ') : 'none'}). Fix: use the URL once to download it, or one of the ` +
      `cached names${req.opts.cacheDir ? '' : ', or set cache_dir to where it was cached'}.`,
  );
}
