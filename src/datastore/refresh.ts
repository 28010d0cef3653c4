// datastore_refresh: is the cached copy of a URL datastore still what the URL serves? One HEAD with
// If-None-Match/If-Modified-Since from the stamp of the last check decides when the server keeps
// validators (unchanged: no download at all). Otherwise the file is downloaded and its sha256
// decides: the same bytes keep the cached entry, new bytes become a new, content-addressed entry.
// Stamps live per URL in `<cache>/.sources/<hash of the URL>/`, beside the immutable entries they
// point to (an entry may be shared by URLs serving the same bytes).
import { join } from 'node:path';
import { findCached, type CachedEntry } from './cache.js';
import { obtainAndStore, type FetchPlan } from './fetch.js';
import { headRequest } from './head.js';
import { fromCacheEntry, readRecord } from './record.js';
import type { RefreshOutcome, ResolvedDatastore } from './types.js';
import {
  conditionalHeaders,
  contentChanged,
  decideRedownload,
  hasValidators,
  readStamp,
  stampFromHeaders,
  writeStamp,
  type SourceStamp,
} from './source-stamp.js';
import { contentVersion, displayVersion, shortHash } from './version.js';
import { redactText } from '../util/redact.js';

export interface RefreshPlan extends Omit<FetchPlan, 'version' | 'shownVersion' | 'sha256'> {
  /** The full URL (may carry credentials: only `shown` is ever logged or stored). */
  url: string;
  /** Where runs without datastore_refresh cache this URL (a hash of it): an earlier copy to compare with. */
  urlVersion: string;
  /** download_timeout for the HEAD request (ms; default 30 s). */
  timeoutMs?: number;
}

const stampDir = (root: string, url: string) => join(root, '.sources', shortHash(url));

interface PreviousCopy extends SourceStamp {
  version: string;
  path: string;
}

/** The copy this URL was last stored or checked as, if it is still cached. */
async function previousCopy(p: RefreshPlan): Promise<PreviousCopy | undefined> {
  const stamp = await readStamp(stampDir(p.root, p.url));
  if (stamp?.version) {
    const hit = await findCached(p.root, p.name, stamp.version);
    if (hit) return { ...stamp, version: stamp.version, path: hit.path };
  }
  const plain = await findCached(p.root, p.name, p.urlVersion);
  if (plain) return { version: p.urlVersion, path: plain.path, sha256: (await readRecord(plain.path))?.sha256 };
  return undefined;
}

/** The newest copy a refreshing run recorded for this URL (no network): runs without refresh use it too. */
export async function lastCheckedCopy(root: string, name: string, url: string): Promise<CachedEntry | undefined> {
  const stamp = await readStamp(stampDir(root, url));
  return stamp?.version ? findCached(root, name, stamp.version) : undefined;
}

export async function refreshFromSource(p: RefreshPlan): Promise<ResolvedDatastore & { refresh: RefreshOutcome }> {
  const previous = await previousCopy(p);
  // Also without validators to send: the answer's ETag/Last-Modified go into the new stamp.
  const head = await headRequest(p.url, conditionalHeaders(previous), p.timeoutMs, p.signal);
  const answer = 'error' in head ? undefined : head;
  if ('error' in head)
    p.log.warning(`HEAD ${p.shown} failed (${redactText(head.error, [p.url])}); downloading it to compare`);
  let reason: string;
  if (previous && hasValidators(previous)) {
    const d = decideRedownload(previous, answer);
    if (!d.redownload) {
      const version = displayVersion(previous.version);
      p.log.info(`Datastore ${p.shown}: ${d.reason}; using the cached ${p.name}@${version} (no download)`);
      return {
        ...(await fromCacheEntry(previous.path, p.name, version)),
        refresh: { changed: false, downloaded: false, reason: d.reason },
      };
    }
    reason = d.reason;
  } else {
    reason = previous ? 'the cached copy has no ETag or Last-Modified to check' : 'no cached copy of this URL';
  }
  p.log.info(`Datastore ${p.shown}: ${reason}; downloading`);
  const stored = await obtainAndStore(p, (sha) =>
    previous && !contentChanged(previous, sha) ? previous.version : contentVersion(sha),
  );
  const changed = !previous || contentChanged(previous, stored.sha256);
  const label = `${p.name}@${displayVersion(stored.version)}`;
  if (previous && changed)
    p.log.notice(
      `Datastore ${p.shown} changed (${reason}): training on the new content, cached as ${label} (sha256 ${stored.sha256})`,
    );
  else if (previous)
    p.log.info(`Datastore ${p.shown}: the download has the same sha256 as the cached copy; keeping ${label}`);
  const validators = answer && answer.status >= 200 && answer.status < 300 ? stampFromHeaders(answer.headers) : {};
  await writeStamp(stampDir(p.root, p.url), {
    url: p.shown,
    ...validators,
    sha256: stored.sha256,
    version: stored.version,
    checkedAt: new Date().toISOString(),
  });
  return { ...stored.resolved, refresh: { changed, downloaded: true, reason } };
}
