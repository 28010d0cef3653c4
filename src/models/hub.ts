// model_name_or_path -> the files of a BERT model dir. A local directory is used as is; anything
// else is a Hugging Face hub id, downloaded once into the cache layout @huggingface/transformers
// uses (<cacheDir>/<id>/<file>), so later loads (ours and the library's) make no requests. Hub
// files go through the downloader datastores use (net/download.ts): download_timeout on every
// silence, download_time_limit for each file, retries said in the log, progress lines with bytes
// and rate, and the run's AbortSignal, which ends a download at once.
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  DownloadError,
  downloadFile,
  describeFailure,
  seconds,
  StatusError,
  type RetryBackoff,
} from '../net/download.js';
import { HttpTimeoutError, openUrl } from '../net/http.js';
import { CancelledError } from '../util/cancel.js';
import { hfToken, tokenOrigin } from '../util/hf-token.js';
import { makeDirsSync } from '../util/make-dirs.js';
import { ModelError } from './errors.js';

export const DEFAULT_HUB = 'https://huggingface.co/';

export interface ModelFiles {
  /** The directory holding the files (the local dir, or the cache dir of a hub id). */
  dir: string;
  config: string;
  weights: string;
  /** tokenizer.json when the model has one, else vocab.txt (the tokenizer builds WordPiece from it). */
  tokenizerJson?: string;
  vocabTxt?: string;
  tokenizerConfig?: string;
  source: 'local' | 'hub';
}

export interface ResolveOptions {
  /** Hub host (flag hub_url); default $HF_ENDPOINT, else https://huggingface.co/. */
  hubUrl?: string;
  /** Where hub files are cached (the library's env.cacheDir). */
  cacheDir: string;
  revision?: string;
  /** false when the data is pre-tokenized: then a model dir without tokenizer files is fine. */
  requireTokenizer?: boolean;
  /** download_timeout in ms: the longest silence from the hub (default 30 s; 0 = none). */
  timeoutMs?: number;
  /** download_time_limit in ms: one file's download in all, retries included (default none). */
  timeLimitMs?: number;
  /** The run's cancel signal: ends a download at once. */
  signal?: AbortSignal;
  /** Retry lines and progress lines of long downloads. */
  log?: { info(message: string): void };
  /** How often a long download logs its progress (default 10 s). */
  progressIntervalMs?: number;
  /** Backoff between attempts (default 10-20 s); tests shorten it. */
  retry?: RetryBackoff;
  /** The flag that named the model, for messages (default model_name_or_path; predict/evaluate: model). */
  flag?: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;
const CONVERT_HINT =
  'Convert it once with Python: `from transformers import AutoModelForSequenceClassification as M; ' +
  'M.from_pretrained(PATH).save_pretrained(OUT, safe_serialization=True)` (or the hub\'s "Convert to Safetensors" space), then use OUT';

export async function resolveModel(nameOrPath: string, opts: ResolveOptions): Promise<ModelFiles> {
  const looksLocal = isAbsolute(nameOrPath) || nameOrPath.startsWith('.') || nameOrPath.includes('\\');
  if (existsSync(nameOrPath) && statSync(nameOrPath).isDirectory())
    return localFiles(resolve(nameOrPath), opts.requireTokenizer ?? true);
  if (looksLocal || !HUB_ID.test(nameOrPath) || nameOrPath.includes('..')) {
    throw new ModelError(
      nameOrPath,
      `${opts.flag ?? 'model_name_or_path'} '${nameOrPath}' is not a directory${looksLocal ? '' : ' nor a hub id (like bert-base-uncased or org/name)'}; pass a model directory (config.json, model.safetensors, tokenizer.json or vocab.txt) or a hub id`,
    );
  }
  return hubFiles(nameOrPath, opts);
}

function localFiles(dir: string, requireTokenizer: boolean): ModelFiles {
  const at = (f: string) => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  const config = at('config.json');
  if (!config)
    throw new ModelError(
      dir,
      `${dir} has no config.json; a model directory needs config.json, model.safetensors and tokenizer.json (or vocab.txt)`,
    );
  const weights = at('model.safetensors');
  if (!weights) {
    const other = ['pytorch_model.bin', 'model.safetensors.index.json', 'tf_model.h5'].find((f) => at(f));
    throw new ModelError(
      dir,
      other
        ? `${dir} has ${other} but no model.safetensors; textclf reads single-file safetensors weights only. ${CONVERT_HINT.replace('PATH', JSON.stringify(dir))}`
        : `${dir} has no model.safetensors (the weights); add it or pass another model`,
    );
  }
  const tokenizerJson = at('tokenizer.json'),
    vocabTxt = at('vocab.txt');
  if (requireTokenizer && !tokenizerJson && !vocabTxt)
    throw new ModelError(
      dir,
      `${dir} has neither tokenizer.json nor vocab.txt; copy the tokenizer files of the base model into it (or train on pre-tokenized JSONL)`,
    );
  return {
    dir,
    config,
    weights,
    tokenizerJson,
    vocabTxt,
    tokenizerConfig: at('tokenizer_config.json'),
    source: 'local',
  };
}

/** The hub host from the flag, else HF_ENDPOINT, with the trailing slash the library expects. */
export function hubHost(hubUrl?: string): string {
  const host = hubUrl || process.env.HF_ENDPOINT || DEFAULT_HUB;
  let u: URL;
  try {
    u = new URL(host);
  } catch {
    throw new ModelError('hub_url', `hub_url '${host}' is not a URL; use e.g. https://huggingface.co/`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ModelError('hub_url', `hub_url '${host}' must be http(s)`);
  return host.endsWith('/') ? host : `${host}/`;
}

async function hubFiles(id: string, opts: ResolveOptions): Promise<ModelFiles> {
  const host = hubHost(opts.hubUrl);
  const revision = opts.revision ?? 'main';
  const dir = revision === 'main' ? join(opts.cacheDir, id) : join(opts.cacheDir, id, revision);
  const where = `hub model '${id}' at ${host}`;
  const fetchFile = (file: string) => fetchToCache(host, id, revision, file, join(dir, file), opts);
  if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'model.safetensors')))
    opts.log?.info(`Downloading ${where} into ${dir}`);
  const config = await fetchFile('config.json');
  if (!config)
    throw new ModelError(
      id,
      `${where}: config.json not found (404). Check the model id, or set hub_url / HF_ENDPOINT to the right host`,
    );
  const weights = await fetchFile('model.safetensors');
  if (!weights) {
    const bin = await probe(fileUrl(host, id, revision, 'pytorch_model.bin'), opts);
    throw new ModelError(
      id,
      bin
        ? `${where} has pytorch_model.bin but no model.safetensors; textclf reads safetensors only (no pickle). ${CONVERT_HINT.replace('PATH', JSON.stringify(id))}`
        : `${where} has no model.safetensors; pick a model that ships safetensors weights`,
    );
  }
  const tokenizerJson = await fetchFile('tokenizer.json');
  const vocabTxt = tokenizerJson ? undefined : await fetchFile('vocab.txt');
  if ((opts.requireTokenizer ?? true) && !tokenizerJson && !vocabTxt)
    throw new ModelError(id, `${where} has neither tokenizer.json nor vocab.txt`);
  const tokenizerConfig = await fetchFile('tokenizer_config.json');
  return { dir, config, weights, tokenizerJson, vocabTxt, tokenizerConfig, source: 'hub' };
}

/** The URL @huggingface/transformers builds: host + {model}/resolve/{revision}/ + file. */
function fileUrl(host: string, id: string, revision: string, file: string): string {
  return new URL(`${id}/resolve/${encodeURIComponent(revision)}/${file}`, host).toString();
}

/**
 * The Authorization header for a hub URL: HF_TOKEN only for a trusted hub origin (tokenOrigin;
 * never a hub_url of another host). openUrl sends it to that origin only, never after a redirect
 * to another one: huggingface.co sends big files to a CDN host with a signed URL, which needs no
 * token and must not see one (and https -> http redirects are refused).
 */
function authorizationFor(url: string): string | undefined {
  const token = hfToken();
  return token && tokenOrigin(new URL(url)) ? `Bearer ${token}` : undefined;
}

/** Whether the hub has `url` (one byte of it), for error messages; a failure or a cancel is "no". */
async function probe(url: string, opts: ResolveOptions): Promise<boolean> {
  try {
    const opened = await openUrl(url, {
      method: 'GET',
      headers: { Range: 'bytes=0-0' },
      timeoutMs: opts.timeoutMs ?? 30_000,
      signal: opts.signal,
      what: `checking ${url}`,
      authorization: authorizationFor(url),
    });
    opened.close();
    const status = opened.res.statusCode ?? 0;
    return status >= 200 && status < 300;
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    return false;
  }
}

/** Downloads one file into the cache (temp file + rename); undefined when the hub says 404. */
async function fetchToCache(
  host: string,
  id: string,
  revision: string,
  file: string,
  dest: string,
  opts: ResolveOptions,
): Promise<string | undefined> {
  if (existsSync(dest)) return dest;
  // A remembered 404 keeps cached loads request-free for optional files (tokenizer_config.json ...).
  const absent = `${dest}.absent`;
  if (existsSync(absent)) return undefined;
  const url = fileUrl(host, id, revision, file);
  makeDirsSync(dirname(dest));
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  try {
    await downloadFile({
      url,
      dest: tmp,
      shown: url,
      authorization: authorizationFor(url),
      timeoutMs: opts.timeoutMs,
      timeLimitMs: opts.timeLimitMs,
      signal: opts.signal,
      retry: opts.retry,
      log: opts.log,
      progressIntervalMs: opts.progressIntervalMs,
    });
    renameSync(tmp, dest);
    return dest;
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof CancelledError || !(e instanceof DownloadError)) throw e;
    if (e.last instanceof StatusError && e.last.status === 404) {
      writeFileSync(absent, '');
      return undefined;
    }
    throw new ModelError(id, hubFailure(e, url));
  }
}

/** A failed hub download in words, with the flag or setting that fixes it. */
function hubFailure(e: DownloadError, url: string): string {
  const err = e.last;
  const tries = e.attempts > 1 ? ` (${e.attempts} attempts)` : '';
  if (e.timeLimitMs !== undefined)
    return (
      `downloading ${url} did not finish within ${seconds(e.timeLimitMs)}, the download_time_limit ` +
      `(last: ${describeFailure(err, url)}). Fix: check hub_url / HF_ENDPOINT and the network; for a big model, raise download_time_limit (seconds; 0 = no limit)`
    );
  if (err instanceof HttpTimeoutError)
    return (
      `downloading ${url} timed out: ${describeFailure(err, url)}${tries}, the download_timeout. ` +
      'Fix: check hub_url / HF_ENDPOINT and that the hub is reachable from this machine; if it is only slow, raise download_timeout (seconds; 0 waits forever)'
    );
  if (err instanceof StatusError) {
    const hint = err.status === 401 || err.status === 403 ? ' (private or gated model: set HF_TOKEN)' : '';
    return `downloading ${url} failed: HTTP ${err.status}${tries}${hint}`;
  }
  return `downloading ${url} failed${tries}: ${describeFailure(err, url)}. Check hub_url / HF_ENDPOINT and the network`;
}
