// What we remember about a URL datastore between runs, and the HTTP rules that decide whether the
// source changed since: a pinned sha256, then ETag (weak comparison), Last-Modified, Content-Length.
// Scheduled retraining (datastore_refresh) uses these to re-download only when the source changed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

/** What we remember about a downloaded source. */
export interface SourceStamp {
  /** Redacted URL, for people reading the cache; never credentials or a presigned query. */
  url?: string;
  etag?: string;
  lastModified?: string;
  contentLength?: number;
  sha256?: string;
  /** The cache version holding this content (tool-cache semver form). */
  version?: string;
  checkedAt?: string;
}

export type HeaderBag = Headers | Record<string, string | string[] | number | undefined>;

function header(h: HeaderBag, name: string): string | undefined {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key ? (h as Record<string, string | string[] | number | undefined>)[key] : undefined;
  return Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v);
}

export function stampFromHeaders(headers: HeaderBag, extra: Partial<SourceStamp> = {}): SourceStamp {
  const len = header(headers, 'content-length');
  return {
    etag: header(headers, 'etag'),
    lastModified: header(headers, 'last-modified'),
    contentLength: len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined,
    ...extra,
  };
}

/** True when the stamp carries something a server can answer "not modified" to. */
export function hasValidators(stamp: SourceStamp | undefined): boolean {
  return Boolean(stamp?.etag || stamp?.lastModified);
}

export interface RedownloadDecision {
  redownload: boolean;
  reason: string;
}

/**
 * Given the stamp of the cached copy and a HEAD response for the source now, decide whether to
 * download again. Validators are compared in HTTP's order of strength: a pinned sha256, ETag
 * (weak comparison), Last-Modified, Content-Length. No usable answer means download.
 */
export function decideRedownload(
  previous: SourceStamp | undefined,
  head: { status: number; headers: HeaderBag } | undefined,
  pinnedSha256?: string,
): RedownloadDecision {
  if (!previous) return { redownload: true, reason: 'no cached copy' };
  if (pinnedSha256) {
    return previous.sha256?.toLowerCase() === pinnedSha256.toLowerCase()
      ? { redownload: false, reason: 'cached copy matches datastore_sha256' }
      : { redownload: true, reason: 'datastore_sha256 differs from the cached copy' };
  }
  if (head?.status === 304) return { redownload: false, reason: 'the server answered 304 Not Modified' };
  if (!head || head.status < 200 || head.status >= 300)
    return {
      redownload: true,
      reason: `HEAD answered ${head?.status ?? 'nothing'}; cannot tell whether the source changed`,
    };
  const now = stampFromHeaders(head.headers);
  const weak = (e: string) => e.replace(/^W\//, '');
  if (now.etag && previous.etag) {
    return weak(now.etag) === weak(previous.etag)
      ? { redownload: false, reason: 'ETag unchanged' }
      : { redownload: true, reason: `ETag changed (${previous.etag} → ${now.etag})` };
  }
  if (now.lastModified && previous.lastModified) {
    const a = Date.parse(previous.lastModified),
      b = Date.parse(now.lastModified);
    if (Number.isFinite(a) && Number.isFinite(b)) {
      return b > a
        ? { redownload: true, reason: `Last-Modified is newer (${previous.lastModified} → ${now.lastModified})` }
        : { redownload: false, reason: 'Last-Modified unchanged' };
    }
  }
  if (
    now.contentLength !== undefined &&
    previous.contentLength !== undefined &&
    now.contentLength !== previous.contentLength
  ) {
    return { redownload: true, reason: `Content-Length changed (${previous.contentLength} → ${now.contentLength})` };
  }
  return { redownload: true, reason: 'the server sent no ETag or Last-Modified to compare' };
}

/** Conditional request headers: a 304 answer means "unchanged". */
export function conditionalHeaders(previous: SourceStamp | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (previous?.etag) h['if-none-match'] = previous.etag;
  if (previous?.lastModified) h['if-modified-since'] = previous.lastModified;
  return h;
}

/** After a download: did the bytes change, whatever the headers said? */
export function contentChanged(previous: SourceStamp | undefined, sha256: string): boolean {
  return previous?.sha256?.toLowerCase() !== sha256.toLowerCase();
}

export const STAMP_FILE = '.textclf-source.json';

export async function readStamp(dir: string): Promise<SourceStamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as SourceStamp;
  } catch {
    return undefined;
  }
}

/** Temp file + rename, so a crash never leaves a half-written stamp that claims "unchanged". */
export async function writeStamp(dir: string, stamp: SourceStamp): Promise<void> {
  writeFileAtomic(join(dir, STAMP_FILE), JSON.stringify(stamp, null, 2));
}
