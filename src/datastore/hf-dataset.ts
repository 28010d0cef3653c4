// hf://datasets/<owner>/<name>[@revision] -> the files of its train/validation/test splits in the
// datastore cache. The revision is resolved to its commit sha first (one API call); the cache entry
// is keyed by that sha (and the config asked for), so a cached commit needs no other request, and
// a moved branch is fetched anew. On a miss: the file list and the card (README.md) of that commit
// decide the splits (hf-layout.ts) and the class names (hf-card.ts); a repository without data
// files we read (a loading script, .json, archives) is read from the Hub's Parquet conversion
// (refs/convert/parquet) instead. Only the chosen splits' files are downloaded, into a staging
// folder that becomes the cache entry once complete. Requests go through hf-fetch.ts (HF_TOKEN
// scope, timeouts, cancel); @huggingface/hub makes the API calls.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { datasetInfo, fileDownloadInfo, HubApiError, listFiles } from '@huggingface/hub';
import { CancelledError, cancellableSleep } from '../util/cancel.js';
import { formatDuration } from '../util/duration.js';
import { hfToken, tokenOrigin } from '../util/hf-token.js';
import type { RetryBackoff } from '../net/download.js';
import { storeInCache, withToolCache, DATASTORE_ARCH } from './cache.js';
import { DatastoreError } from './errors.js';
import { formatBytes } from './extract-budget.js';
import { withEntryLock } from './entry-lock.js';
import { CardError, parseDatasetCard, type DatasetCard } from './hf-card.js';
import { HubTimeoutError, hubFetch } from './hf-fetch.js';
import { convertedLayout, layoutOf, LayoutError, type Layout } from './hf-layout.js';
import { parseHubDatasetUrl } from './hf-url.js';
import type { DatastoreLogger } from './logger.js';
import type { HubDataset, ResolvedDatastore } from './types.js';
import { cacheVersion } from './version.js';
import * as tc from '@actions/tool-cache';

export const PARQUET_REVISION = 'refs/convert/parquet';
/** The manifest inside a cached Hub dataset: its HubDataset (split files relative to the entry). */
export const MANIFEST = '.textclf-hf.json';
const DEFAULT_HUB = 'https://huggingface.co';

/** No answer from the Hub at all (refused, unresolvable, silent): a cached copy may stand in. */
class HubUnreachableError extends DatastoreError {}
const ATTEMPTS = 3;

export interface HubResolveOptions {
  source: string;
  /** The datastore cache root. */
  root: string;
  config?: string;
  /** hub_url (default: HF_ENDPOINT, else huggingface.co). */
  hubUrl?: string;
  timeoutMs: number;
  /** download_time_limit in ms: one file's download in all, attempts and waits included (0/undefined: none). */
  timeLimitMs?: number;
  signal?: AbortSignal;
  log: DatastoreLogger;
  retry?: RetryBackoff;
  progressIntervalMs?: number;
  env: NodeJS.ProcessEnv;
}

interface Ctx extends HubResolveOptions {
  repo: string;
  revision: string;
  host: string;
  shown: string;
  fetch: typeof fetch;
}

export async function resolveHubDataset(o: HubResolveOptions): Promise<ResolvedDatastore> {
  const { repo, revision } = parseHubDatasetUrl(o.source);
  const host = (o.hubUrl || o.env.HF_ENDPOINT || DEFAULT_HUB).replace(/\/+$/, '');
  try {
    new URL(host);
  } catch {
    throw new DatastoreError(
      o.source,
      `the Hub host '${host}' is not a URL. Fix: set hub_url or HF_ENDPOINT to e.g. https://huggingface.co`,
    );
  }
  const c: Ctx = {
    ...o,
    repo,
    revision,
    host,
    shown: `hf://datasets/${repo}${revision === 'main' ? '' : `@${revision}`}`,
    fetch: hubFetch({ timeoutMs: o.timeoutMs, signal: o.signal, env: o.env, what: `reading hf://datasets/${repo}` }),
  };
  const name = entryName(repo);
  let sha: string;
  try {
    sha = await resolveRevision(c, revision);
  } catch (e) {
    // Offline (no answer, refused): the newest cached copy of this revision, said loudly.
    if (e instanceof HubUnreachableError) {
      const copy = await newestCached(o.root, name, revision, o.config);
      if (!copy) throw e;
      o.log.warning(
        `${c.shown}: the Hub cannot be reached (${e.message.replace(/\. Fix:.*$/, '')}); using the cached copy of commit ${copy.hub.sha.slice(0, 12)} (${copy.root})`,
      );
      return copy;
    }
    throw e;
  }
  const version = cacheVersion(o.config ? `${sha}-${o.config}` : sha);
  const hit = await cachedEntry(o.root, name, version);
  if (hit) {
    o.log.info(`Datastore ${c.shown} at commit ${sha.slice(0, 12)} from the cache (${hit.root}); no download`);
    return hit;
  }
  await mkdir(o.root, { recursive: true });
  return withEntryLock(
    o.root,
    name,
    version,
    async () => {
      const meanwhile = await cachedEntry(o.root, name, version);
      if (meanwhile) return meanwhile;
      return fetchDataset(c, name, version, sha);
    },
    { log: o.log, signal: o.signal },
  );
}

/** Cache entry name of a repository: one safe path segment. */
function entryName(repo: string): string {
  return `hf-${repo.replace('/', '--').replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

async function fetchDataset(c: Ctx, name: string, version: string, sha: string): Promise<ResolvedDatastore> {
  const staging = await mkdtemp(join(c.root, '.staging-'));
  try {
    const tree = join(staging, 'tree');
    await mkdir(tree);
    const paths = await listPaths(c, sha);
    let card: DatasetCard = { configs: [], classLabels: {} };
    if (paths.includes('README.md')) {
      await download(c, sha, 'README.md', join(tree, 'README.md'));
      try {
        card = parseDatasetCard(await readFile(join(tree, 'README.md'), 'utf8'));
      } catch (e) {
        if (!(e instanceof CardError)) throw e;
        c.log.warning(`${c.shown}: the dataset card (README.md) is ignored: ${e.message}`);
      }
    }
    let layout = layoutOrFail(c, () =>
      c.revision === PARQUET_REVISION ? convertedLayout(paths, c.config) : layoutOf(paths, card, c.config),
    );
    let filesSha = sha;
    let converted = c.revision === PARQUET_REVISION;
    if (!layout) {
      // No files we read at this commit: the Hub's Parquet conversion of the dataset.
      c.log.info(
        `${c.shown} has no Parquet, CSV or JSONL data files at ${sha.slice(0, 12)}; reading the Hub's Parquet conversion (${PARQUET_REVISION})`,
      );
      filesSha = await resolveRevision(c, PARQUET_REVISION);
      const converted_ = await listPaths(c, filesSha);
      layout = layoutOrFail(c, () => convertedLayout(converted_, c.config))!;
      converted = true;
    }
    for (const [split, s] of Object.entries(layout.splits))
      if (!s.files.length)
        throw new DatastoreError(
          c.shown,
          `${c.shown}: the ${s.name} split (${split}) matches no files. Fix: check the card's data_files patterns.`,
        );
    if (layout.partial.length)
      c.log.warning(
        `${c.shown}: the Parquet conversion holds only the first part of ${layout.partial.join(', ')} (the Hub converts the first 5 GB of big splits)`,
      );
    if (layout.ignored.length) c.log.info(`${c.shown}: splits not read: ${layout.ignored.join(', ')}`);
    const wanted = [...new Set(Object.values(layout.splits).flatMap((s) => s.files))];
    for (const path of wanted) await download(c, filesSha, path, join(tree, path));
    const classLabels =
      card.classLabels[layout.config] ?? (layout.config === 'default' ? undefined : card.classLabels.default);
    const hub: HubDataset = {
      repo: c.repo,
      revision: c.revision,
      sha,
      config: layout.config,
      splits: layout.splits,
      ...(classLabels && Object.keys(classLabels).length ? { classLabels } : {}),
      ...(converted && { converted: true }),
    };
    await writeFile(join(tree, MANIFEST), JSON.stringify(hub, null, 2) + '\n');
    const path = await storeInCache(c.root, tree, name, version);
    c.log.info(`Cached ${c.shown} (commit ${sha.slice(0, 12)}, config ${layout.config}) at ${path}`);
    return { root: path, name, version: sha.slice(0, 12), fromCache: false, hub };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function layoutOrFail(c: Ctx, make: () => Layout | undefined): Layout | undefined {
  try {
    return make();
  } catch (e) {
    if (e instanceof LayoutError)
      throw new DatastoreError(c.shown, `${c.shown}: ${e.message}. Fix: set dataset_config.`);
    throw e;
  }
}

/** The commit sha of a revision (`/api/datasets/<repo>/revision/<rev>`). */
async function resolveRevision(c: Ctx, revision: string): Promise<string> {
  const info = await hubCall(c, `revision ${revision}`, () =>
    datasetInfo({ name: c.repo, revision, hubUrl: c.host, additionalFields: ['sha'], fetch: c.fetch }),
  );
  const sha = (info as { sha?: unknown }).sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha))
    throw new DatastoreError(
      c.shown,
      `${c.host} answered for ${c.repo}@${revision} without a commit sha. Fix: check hub_url / HF_ENDPOINT.`,
    );
  return sha;
}

async function listPaths(c: Ctx, sha: string): Promise<string[]> {
  return hubCall(c, 'the file list', async () => {
    const out: string[] = [];
    for await (const f of listFiles({
      repo: { type: 'dataset', name: c.repo },
      revision: sha,
      recursive: true,
      hubUrl: c.host,
      fetch: c.fetch,
    }))
      if (f.type === 'file') out.push(f.path);
    return out;
  });
}

/** One file into `dest` (absent before): size and progress as it comes, retried on server errors and cut bodies. */
async function download(c: Ctx, sha: string, path: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  // download_time_limit: one clock for every attempt and wait of this file (a trickle that never
  // goes silent for download_timeout still ends).
  const limit = c.timeLimitMs && c.timeLimitMs > 0 ? c.timeLimitMs : undefined;
  const deadline = limit ? Date.now() + limit : undefined;
  const timer = limit ? AbortSignal.timeout(limit) : undefined;
  const fetchFile = timer
    ? hubFetch({
        timeoutMs: c.timeoutMs,
        signal: c.signal ? AbortSignal.any([c.signal, timer]) : timer,
        env: c.env,
        what: `reading hf://datasets/${c.repo}`,
      })
    : c.fetch;
  const overLimit = () =>
    new DatastoreError(
      c.shown,
      `${c.shown}: downloading ${path} did not finish within ${formatDuration(limit! / 1000)}, the download_time_limit. Fix: check that ${c.host} is fast enough from this machine; for a big dataset, raise download_time_limit (seconds; 0 = no limit).`,
    );
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await hubCall(c, path, () =>
        fileDownloadInfo({
          repo: { type: 'dataset', name: c.repo },
          path,
          revision: sha,
          hubUrl: c.host,
          fetch: fetchFile,
        }),
      );
      if (!info)
        throw new DatastoreError(
          c.shown,
          `${c.shown}: ${path} is listed but cannot be downloaded (404). Fix: try again; report it to the dataset's owners.`,
        );
      const res = await fetchFile(info.url);
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        throw new HubApiError(info.url, res.status);
      }
      await save(c, path, res, info.size, dest);
      return;
    } catch (e) {
      await rm(dest, { force: true });
      if (timer?.aborted && !c.signal?.aborted) throw overLimit();
      const status = e instanceof HubApiError ? e.statusCode : undefined;
      const retry =
        !(e instanceof CancelledError) &&
        !(e instanceof DatastoreError) &&
        (status === undefined
          ? !(e instanceof HubTimeoutError) || e.phase === 'body'
          : status >= 500 || status === 429);
      if (!retry || attempt >= ATTEMPTS) throw asDatastoreError(c, path, e);
      const r = c.retry ?? { minSeconds: 2, maxSeconds: 5 };
      const waitS = r.minSeconds + Math.random() * (r.maxSeconds - r.minSeconds);
      if (deadline !== undefined && Date.now() + waitS * 1000 >= deadline) throw overLimit();
      c.log.info(
        `Download of ${path} from ${c.shown} failed (${(e as Error).message}); attempt ${attempt + 1} of ${ATTEMPTS} in ${waitS.toFixed(0)} s`,
      );
      await cancellableSleep(waitS * 1000, c.signal, `downloading ${c.shown}`);
    }
  }
}

async function save(c: Ctx, path: string, res: Response, size: number, dest: string): Promise<void> {
  const started = Date.now();
  const interval = c.progressIntervalMs ?? 10_000;
  let next = started + interval;
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      const now = Date.now();
      if (now >= next) {
        next = now + interval;
        const rate = formatBytes((bytes * 1000) / Math.max(1, now - started));
        c.log.info(
          `Downloading ${path} from ${c.shown}: ${formatBytes(bytes)} of ${formatBytes(size)} (${Math.floor((100 * bytes) / Math.max(1, size))}%), ${rate}/s`,
        );
      }
      done(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
    count,
    createWriteStream(dest, { flags: 'wx' }),
  );
  if (bytes !== size) throw new Error(`got ${bytes} of the ${size} bytes of ${path}`);
  if (Date.now() - started > interval)
    c.log.info(`Downloaded ${path}: ${formatBytes(bytes)} in ${formatDuration((Date.now() - started) / 1000)}`);
}

/** Runs one API call; its failures become errors that name the dataset, the host and the fix. */
async function hubCall<T>(c: Ctx, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw asDatastoreError(c, what, e);
  }
}

function asDatastoreError(c: Ctx, what: string, e: unknown): Error {
  if (e instanceof DatastoreError || e instanceof CancelledError) return e;
  if (e instanceof HubTimeoutError)
    return new HubUnreachableError(
      c.shown,
      `${c.shown}: ${e.message} (${what}), the download_timeout. Fix: check that ${c.host} is reachable from this machine; if it is only slow, raise download_timeout (seconds; 0 waits forever).`,
    );
  if (e instanceof HubApiError) {
    const tokenGoes = !!hfToken(c.env) && tokenOrigin(new URL(c.host), c.env);
    const tokenNote =
      hfToken(c.env) && !tokenGoes
        ? ` (HF_TOKEN is set, but it is sent only to huggingface.co and the HF_ENDPOINT host, not to ${c.host})`
        : '';
    if (e.statusCode === 401 || e.statusCode === 403)
      return new DatastoreError(
        c.shown,
        `${c.shown}: HTTP ${e.statusCode} from ${c.host} (${what}): the dataset is private or gated, or does not exist${tokenNote}. ` +
          (tokenGoes
            ? 'Fix: check that the token in HF_TOKEN can read this dataset (gated datasets: accept the terms on its page), and the name.'
            : 'Fix: set HF_TOKEN to a token that can read it (and HF_ENDPOINT when the Hub is not huggingface.co), or check the name.'),
      );
    if (e.statusCode === 404)
      return new DatastoreError(
        c.shown,
        `${c.shown}: HTTP 404 from ${c.host} (${what}): no such dataset or revision. Fix: check the name and the @revision (branch, tag or commit).`,
      );
    return new DatastoreError(
      c.shown,
      `${c.shown}: HTTP ${e.statusCode} from ${c.host} (${what}). Fix: try again later.`,
    );
  }
  return new HubUnreachableError(
    c.shown,
    `${c.shown}: cannot reach ${c.host} (${what}: ${(e as Error)?.message ?? String(e)}). Fix: check the network, proxy and hub_url / HF_ENDPOINT.`,
  );
}

async function readManifest(entry: string): Promise<HubDataset | undefined> {
  try {
    return JSON.parse(await readFile(join(entry, MANIFEST), 'utf8')) as HubDataset;
  } catch {
    return undefined;
  }
}

async function cachedEntry(
  root: string,
  name: string,
  version: string,
): Promise<(ResolvedDatastore & { hub: HubDataset }) | undefined> {
  const path = await withToolCache(root, root, async () => tc.find(name, version, DATASTORE_ARCH));
  const hub = path ? await readManifest(path) : undefined;
  return path && hub ? { root: path, name, version: hub.sha.slice(0, 12), fromCache: true, hub } : undefined;
}

/** The most recently cached commit of `revision` (and config), for working offline. */
async function newestCached(root: string, name: string, revision: string, config?: string) {
  const versions = await withToolCache(root, root, async () => tc.findAllVersions(name, DATASTORE_ARCH));
  const entries = versions
    .map((v) => ({ v, path: join(root, name, v, DATASTORE_ARCH) }))
    .filter((e) => existsSync(`${e.path}.complete`))
    .sort((a, b) => statSync(`${b.path}.complete`).mtimeMs - statSync(`${a.path}.complete`).mtimeMs);
  for (const e of entries) {
    const hub = await readManifest(e.path);
    if (hub && hub.revision === revision && (config === undefined || hub.config === config))
      return { root: e.path, name, version: hub.sha.slice(0, 12), fromCache: true, hub };
  }
  return undefined;
}
