// A NuGet v3 client for what provisioning needs: the service index, a package's versions
// (PackageBaseAddress/3.0.0, the flat container), the .nupkg's address, and the SHA-512 the source
// publishes for it (RegistrationsBaseUrl: the registration leaf's catalog entry, or the catalog
// leaf it points to). Downloads stream to disk while hashing, with one timeout for every silence
// and no retries: a refused connection fails at once. Proxies come from @actions/http-client.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { HttpClient, type HttpClientResponse } from '@actions/http-client';
import semver from 'semver';
import { redactUrl } from '../util/redact.js';

export class NugetError extends Error {
  override name = 'NugetError';
}

/** The longest silence allowed from a source (connecting, answering, or mid-body). */
export const NUGET_TIMEOUT_MS = 30_000;

interface Resource {
  '@id': string;
  '@type': string | string[];
}

export interface PackageHash {
  /** As the source names it: SHA512 on nuget.org. */
  algorithm: string;
  /** Base64, as NuGet publishes it. */
  hash: string;
}

export interface NupkgDownload {
  size: number;
  /** Base64 SHA-512 of the file, as NuGet writes packageHash. */
  sha512: string;
}

/** The newest registration types first: they are also the ones that list SemVer 2.0.0 versions. */
const REGISTRATION_TYPES = [
  'RegistrationsBaseUrl/3.6.0',
  'RegistrationsBaseUrl/3.4.0',
  'RegistrationsBaseUrl/Versioned',
  'RegistrationsBaseUrl/3.0.0-rc',
  'RegistrationsBaseUrl/3.0.0-beta',
  'RegistrationsBaseUrl',
];

/** NuGet normalises versions: 1.30.0.0 and 1.30.0 are the same package. */
export function normalizeVersion(v: string): string {
  const [core, ...rest] = v.split(/(?=[-+])/);
  const parts = core.split('.');
  while (parts.length > 3 && parts[parts.length - 1] === '0') parts.pop();
  return [parts.join('.'), ...rest.filter((r) => r.startsWith('-'))].join('').toLowerCase();
}

/** The flat container's address of one package version (ids and versions lower-cased, as the protocol says). */
export function nupkgUrl(packageBase: string, id: string, version: string): string {
  const lid = id.toLowerCase(),
    lv = normalizeVersion(version);
  return `${packageBase.replace(/\/*$/, '/')}${lid}/${lv}/${lid}.${lv}.nupkg`;
}

/** A URL's userinfo as a Basic header, and the URL without it (credentials never go into logs). */
function splitAuth(url: string): { url: string; auth?: string } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url };
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  u.username = '';
  u.password = '';
  return { url: u.href, auth };
}

export class NugetClient {
  private readonly http: HttpClient;
  constructor(private readonly timeoutMs = NUGET_TIMEOUT_MS) {
    this.http = new HttpClient('textclf-action', [], { socketTimeout: timeoutMs, allowRetries: false });
  }

  /** GET with the source's credentials (same origin only: http-client drops them on other hosts). */
  async get(url: string, accept: string): Promise<HttpClientResponse> {
    const { url: bare, auth } = splitAuth(url);
    try {
      return await this.http.get(bare, { accept, ...(auth ? { authorization: auth } : {}) });
    } catch (e) {
      throw new NugetError(`${redactUrl(url)} is unreachable (${describeNetError(e)})`);
    }
  }

  /** A JSON document; `undefined` for 404 (NuGet's answer for "no such package or version"). */
  async json<T>(url: string): Promise<T | undefined> {
    const res = await this.get(url, 'application/json');
    const status = res.message.statusCode ?? 0;
    let body: Buffer;
    try {
      const chunks: Buffer[] = [];
      for await (const c of res.message) chunks.push(c as Buffer);
      body = Buffer.concat(chunks);
    } catch (e) {
      throw new NugetError(`reading ${redactUrl(url)} failed (${describeNetError(e)})`);
    }
    if (status === 404) return undefined;
    if (status !== 200) throw new NugetError(`${redactUrl(url)} answered HTTP ${status}`);
    // nuget.org serves registration blobs gzip-encoded whatever the request says.
    if (/gzip/i.test(String(res.message.headers['content-encoding'] ?? ''))) body = gunzipSync(body);
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      throw new NugetError(`${redactUrl(url)} did not answer JSON (${body.subarray(0, 60).toString('utf8')}...)`);
    }
  }

  /**
   * Streams `url` into `dest` and hashes it (SHA-512). A short body (fewer bytes than
   * Content-Length), a stall longer than the timeout, or a non-200 answer fails and removes `dest`.
   */
  async download(url: string, dest: string): Promise<NupkgDownload> {
    const res = await this.get(url, 'application/octet-stream');
    const status = res.message.statusCode ?? 0;
    if (status !== 200) {
      await res.readBody().catch(() => '');
      throw new NugetError(`${redactUrl(url)} answered HTTP ${status}`);
    }
    const declared = Number(res.message.headers['content-length'] ?? NaN);
    const hash = createHash('sha512');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    let cutShort = false;
    res.message.on('aborted', () => (cutShort = true));
    try {
      await pipeline(res.message, count, createWriteStream(dest));
    } catch (e) {
      await rm(dest, { force: true });
      throw new NugetError(
        `downloading ${redactUrl(url)} stopped after ${size}${Number.isFinite(declared) ? ` of ${declared}` : ''} bytes (${describeNetError(e)})`,
      );
    }
    if (cutShort || !res.message.complete || (Number.isFinite(declared) && size !== declared)) {
      await rm(dest, { force: true });
      throw new NugetError(
        `downloading ${redactUrl(url)} was cut short: ${size}${Number.isFinite(declared) ? ` of ${declared}` : ''} bytes arrived`,
      );
    }
    return { size, sha512: hash.digest('base64') };
  }
}

/** One NuGet v3 source, from its service index (`.../v3/index.json`). */
export class NugetSource {
  private resources?: Resource[];
  constructor(
    readonly index: string,
    readonly client = new NugetClient(),
  ) {}

  private async all(): Promise<Resource[]> {
    if (this.resources) return this.resources;
    const doc = await this.client.json<{ version?: string; resources?: Resource[] }>(this.index);
    if (!doc) throw new NugetError(`${redactUrl(this.index)} answered HTTP 404: it is not a NuGet v3 service index`);
    if (!doc.version?.startsWith('3.') || !Array.isArray(doc.resources))
      throw new NugetError(
        `${redactUrl(this.index)} is not a NuGet v3 service index (version ${doc.version ?? 'missing'})`,
      );
    this.resources = doc.resources;
    return doc.resources;
  }

  private async resource(types: string[]): Promise<string | undefined> {
    const rs = await this.all();
    for (const t of types) {
      const r = rs.find((x) => (Array.isArray(x['@type']) ? x['@type'] : [x['@type']]).includes(t));
      if (r) return r['@id'].replace(/\/*$/, '/');
    }
    return undefined;
  }

  async packageBase(): Promise<string> {
    const base = await this.resource(['PackageBaseAddress/3.0.0']);
    if (!base) throw new NugetError(`${redactUrl(this.index)} has no PackageBaseAddress/3.0.0 resource`);
    return base;
  }

  /** Every version of `id` the source has (normalised, lower case); [] when it has none. */
  async versions(id: string): Promise<string[]> {
    const base = await this.packageBase();
    const doc = await this.client.json<{ versions?: string[] }>(`${base}${id.toLowerCase()}/index.json`);
    return (doc?.versions ?? []).map(normalizeVersion);
  }

  async nupkgUrl(id: string, version: string): Promise<string> {
    return nupkgUrl(await this.packageBase(), id, version);
  }

  /**
   * The hash the source publishes for `id` `version`, when it does: the registration leaf's
   * catalog entry carries packageHash on some sources; nuget.org puts it in the catalog leaf the
   * entry's @id names. `undefined` when the source has no registration or no hash.
   */
  async packageHash(id: string, version: string): Promise<PackageHash | undefined> {
    const reg = await this.resource(REGISTRATION_TYPES);
    if (!reg) return undefined;
    const v = normalizeVersion(version);
    type Entry = { '@id'?: string; version?: string; packageHash?: string; packageHashAlgorithm?: string };
    type Leaf = { catalogEntry?: Entry | string };
    type Page = { '@id': string; lower?: string; upper?: string; items?: Leaf[] };
    const index = await this.client.json<{ items?: Page[] }>(`${reg}${id.toLowerCase()}/index.json`);
    const inRange = (p: Page) =>
      !p.lower ||
      !p.upper ||
      !semver.valid(v) ||
      (semver.gte(v, normalizeVersion(p.lower), { loose: true }) &&
        semver.lte(v, normalizeVersion(p.upper), { loose: true }));
    for (const page of (index?.items ?? []).filter(inRange)) {
      const items = page.items ?? (await this.client.json<Page>(page['@id']))?.items ?? [];
      const leaf = items.find((l) => {
        const e = l.catalogEntry;
        return typeof e === 'object' && e.version !== undefined && normalizeVersion(e.version) === v;
      });
      if (!leaf) continue;
      let entry = leaf.catalogEntry as Entry;
      if (!entry.packageHash && entry['@id']) entry = (await this.client.json<Entry>(entry['@id'])) ?? entry;
      if (!entry.packageHash) return undefined;
      return { algorithm: entry.packageHashAlgorithm ?? 'SHA512', hash: entry.packageHash };
    }
    return undefined;
  }
}

/** A connection error in words: the code (ECONNREFUSED, ENOTFOUND, ...) and the message. */
export function describeNetError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  return err?.code && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg;
}
