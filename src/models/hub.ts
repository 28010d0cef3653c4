// model_name_or_path -> the files of a BERT model dir. A local directory is used as is; anything
// else is a Hugging Face hub id, downloaded once into the cache that @huggingface/transformers
// uses (<cacheDir>/<id>/<file>), so later loads (ours and the library's) make no requests.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AutoConfig, env } from '@huggingface/transformers';
import { hfToken, tokenOrigin } from '../util/hf-token.js';
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
  env.remoteHost = host;
  env.cacheDir = opts.cacheDir;
  env.useFSCache = true;
  env.allowRemoteModels = true;
  const where = `hub model '${id}' at ${host}`;
  // config.json through the library (it caches it where the pipeline will look for it).
  if (!existsSync(join(dir, 'config.json'))) {
    try {
      await AutoConfig.from_pretrained(id, { revision });
    } catch (e) {
      const msg = (e as Error).message;
      if (/404|not found|Could not locate/i.test(msg))
        throw new ModelError(
          id,
          `${where}: config.json not found (404). Check the model id, or set hub_url / HF_ENDPOINT to the right host`,
        );
      throw new ModelError(
        id,
        `${where}: downloading config.json failed: ${msg}. Check hub_url / HF_ENDPOINT and the network`,
      );
    }
  }
  const fetchFile = (file: string) => fetchToCache(host, id, revision, file, join(dir, file));
  const weights = await fetchFile('model.safetensors');
  if (!weights) {
    const bin = await probe(host, id, revision, 'pytorch_model.bin');
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
  return { dir, config: join(dir, 'config.json'), weights, tokenizerJson, vocabTxt, tokenizerConfig, source: 'hub' };
}

function fileUrl(host: string, id: string, revision: string, file: string): string {
  // Same URL the library builds: remoteHost + remotePathTemplate + file.
  const path = env.remotePathTemplate.replaceAll('{model}', id).replaceAll('{revision}', encodeURIComponent(revision));
  return new URL(`${path}${path.endsWith('/') ? '' : '/'}${file}`, host).toString();
}

const MAX_REDIRECTS = 5;

/**
 * fetch for hub files. HF_TOKEN goes only to a trusted hub origin (tokenOrigin; never to a
 * hub_url of another host), and never follows a redirect to another origin: huggingface.co sends
 * big files to a CDN host with a signed URL, which needs no token and must not see one.
 */
async function hubFetch(url: string, extra: Record<string, string> = {}): Promise<Response> {
  const token = hfToken();
  const start = new URL(url);
  let current = start;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...extra };
    if (token && current.origin === start.origin && tokenOrigin(current)) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(current, { headers, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (current.protocol === 'https:' && next.protocol !== 'https:')
      throw new Error(`redirected from https to ${next.protocol.replace(':', '')}, which is refused`);
    current = next;
  }
}

async function probe(host: string, id: string, revision: string, file: string): Promise<boolean> {
  const url = fileUrl(host, id, revision, file);
  const res = await hubFetch(url, { Range: 'bytes=0-0' }).catch(() => undefined);
  await res?.body?.cancel().catch(() => undefined);
  return !!res && res.status >= 200 && res.status < 300;
}

/** Downloads one file into the cache (temp file + rename); undefined when the hub says 404. */
async function fetchToCache(
  host: string,
  id: string,
  revision: string,
  file: string,
  dest: string,
): Promise<string | undefined> {
  if (existsSync(dest)) return dest;
  // A remembered 404 keeps cached loads request-free for optional files (tokenizer_config.json ...).
  const absent = `${dest}.absent`;
  if (existsSync(absent)) return undefined;
  const url = fileUrl(host, id, revision, file);
  let res: Response;
  try {
    res = await hubFetch(url);
  } catch (e) {
    throw new ModelError(
      id,
      `downloading ${url} failed: ${(e as Error).message}. Check hub_url / HF_ENDPOINT and the network`,
    );
  }
  if (res.status === 404) {
    await res.body?.cancel();
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(absent, '');
    return undefined;
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    const hint = res.status === 401 || res.status === 403 ? ' (private or gated model: set HF_TOKEN)' : '';
    throw new ModelError(id, `downloading ${url} failed: HTTP ${res.status}${hint}`);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(tmp));
    // (a compressed response's content-length counts compressed bytes: no check then)
    const want = res.headers.get('content-encoding') ? NaN : Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(want) && statSync(tmp).size !== want) {
      throw new ModelError(id, `downloading ${url}: got ${statSync(tmp).size} of ${want} bytes; try again`);
    }
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof ModelError) throw e;
    throw new ModelError(id, `downloading ${url} failed: ${(e as Error).message}`);
  }
  return dest;
}
