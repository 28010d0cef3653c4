// The record kept inside every cache entry: where it came from and the sha256 of what was
// downloaded, so a later run that names datastore_sha256 can check a cached entry without network.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSha256 } from './checksum.js';
import { DatastoreError } from './errors.js';
import type { DatastoreFormat } from './format.js';
import type { ResolvedDatastore } from './types.js';

/** Written into every cache entry: where it came from and the checksum of what was downloaded. */
export const RECORD_FILE = '.textclf-datastore.json';
export interface CacheRecord {
  source: string;
  sha256: string;
  format: DatastoreFormat;
  file?: string;
  cachedAt: string;
}

export async function writeRecord(dir: string, record: CacheRecord): Promise<void> {
  await writeFile(join(dir, RECORD_FILE), JSON.stringify(record, null, 2) + '\n');
}

export async function readRecord(entry: string): Promise<CacheRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(entry, RECORD_FILE), 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
}

/** A completed cache entry as a resolved datastore; a single-file datastore's file name comes from its record. */
export async function fromCacheEntry(entry: string, name: string, version: string): Promise<ResolvedDatastore> {
  return { root: entry, name, version, fromCache: true, file: (await readRecord(entry))?.file };
}

export async function checkRecord(entry: string, sha256: string, shown: string): Promise<void> {
  const record = await readRecord(entry);
  if (!record) {
    throw new DatastoreError(
      shown,
      `The cached datastore at ${entry} has no checksum record, so datastore_sha256 cannot be checked. ` +
        'Fix: set a new datastore_version to download it again.',
    );
  }
  checkSha256(record.sha256, sha256, shown);
}
