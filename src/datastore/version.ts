// Tool-cache versions must be valid semver, or `find` never matches them (it treats anything
// else as a range). User versions like `1`, `v2` or `2024-01` and URL hashes are mapped into
// prerelease versions of 0.0.0, deterministically, so `name@1` finds what `datastore_version: 1`
// cached.
import { createHash } from 'node:crypto';

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** The tool-cache version for a user-given datastore version. */
export function cacheVersion(userVersion: string): string {
  if (/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(userVersion)) return userVersion;
  const safe = userVersion.replace(/[^0-9A-Za-z-]/g, '-');
  // Lossy sanitising could merge two versions (`1.0` and `1-0`): a hash keeps them apart.
  const suffix = safe === userVersion ? '' : `-${shortHash(userVersion).slice(0, 8)}`;
  return `0.0.0-v${safe}${suffix}`;
}

/** Default version for a URL: a hash of the URL (and the expected checksum, if any). */
export function defaultUrlVersion(url: string, sha256?: string): string {
  return `0.0.0-h${shortHash(`${url}\n${sha256 ?? ''}`)}`;
}

/** Default version for a local archive: a hash of its content. */
export function contentVersion(sha256Hex: string): string {
  return `0.0.0-c${sha256Hex.slice(0, 12)}`;
}

/** The version as shown to users: the user's own string when it was mapped. */
export function displayVersion(version: string): string {
  const m = /^0\.0\.0-v(.*?)(-[0-9a-f]{8})?$/.exec(version);
  return m ? m[1]! : version;
}
