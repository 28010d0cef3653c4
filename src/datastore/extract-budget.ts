// How much an archive may expand to: refused before extraction when the sizes its entries list
// do not fit the cache's filesystem (a zip bomb, or simply too big a datastore), or exceed an
// explicit limit. While extracting, no entry may yield more than it lists (extract.ts); the
// finished tree is checked against the listing once more.
import { statfs } from 'node:fs/promises';
import { DatastoreError } from './errors.js';

/** Env override of the limit (bytes); there is no limit besides free space without it. */
export const MAX_EXTRACT_ENV = 'TEXTCLF_MAX_EXTRACT_BYTES';

/** Kept free for everything else on the disk (logs, checkpoints, the model). */
export const FREE_SPACE_MARGIN = 64 * 1024 * 1024;

export interface ExtractLimits {
  /** Cache root: its filesystem holds both the staging tree and the cached copy. */
  cacheRoot: string;
  /** Explicit limit on the expanded size, in bytes. */
  maxBytes?: number;
}

/** The explicit limit: the option, else TEXTCLF_MAX_EXTRACT_BYTES, else none. */
export function maxExtractBytes(
  option: number | undefined,
  env: NodeJS.ProcessEnv,
  source: string,
): number | undefined {
  if (option !== undefined) return option;
  const raw = env[MAX_EXTRACT_ENV]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new DatastoreError(
      source,
      `${MAX_EXTRACT_ENV}='${raw}' is not a whole number of bytes. ` +
        `Fix: set it to e.g. 10737418240 (10 GiB), or unset it to be limited by free disk space only.`,
    );
  }
  return Number(raw);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Refuses an archive whose listed entries expand to `total` bytes when that exceeds the explicit
 * limit, or does not fit the cache filesystem's free space minus FREE_SPACE_MARGIN (the tree is
 * extracted next to the cache and then moved into it, not copied).
 */
export async function checkExpandedSize(total: number, limits: ExtractLimits, source: string): Promise<void> {
  const st = await statfs(limits.cacheRoot);
  const free = Number(st.bavail) * Number(st.bsize);
  const expands = `${source} expands to ${formatBytes(total)} (the sizes its entries list)`;
  const where = `the cache filesystem (${limits.cacheRoot}) has ${formatBytes(free)} free`;
  if (limits.maxBytes !== undefined && total > limits.maxBytes) {
    throw new DatastoreError(
      source,
      `Refusing to extract ${expands}, over the ${formatBytes(limits.maxBytes)} limit set by ` +
        `${MAX_EXTRACT_ENV}; ${where}. Fix: raise or unset ${MAX_EXTRACT_ENV} if the datastore is really that big, ` +
        'or use a smaller archive.',
    );
  }
  const needed = total;
  if (needed > free - FREE_SPACE_MARGIN) {
    throw new DatastoreError(
      source,
      `Refusing to extract ${expands}: extracting and caching it needs ${formatBytes(needed)} ` +
        `plus ${formatBytes(FREE_SPACE_MARGIN)} to spare, but ${where}. Fix: free disk space there, or set cache_dir ` +
        'to a folder on a bigger disk.',
    );
  }
}

/** After extraction: the tree may not be larger than its entries listed. */
export function checkExtractedSize(actual: number, listed: number, source: string): void {
  if (actual > listed) {
    throw new DatastoreError(
      source,
      `Refusing ${source}: it extracted to ${formatBytes(actual)} (${actual} bytes), more than ` +
        `the ${formatBytes(listed)} (${listed} bytes) its entries list, so its headers lie (a zip bomb or a corrupt archive). ` +
        'Fix: re-create the archive with a standard zip/tar tool.',
    );
  }
}
