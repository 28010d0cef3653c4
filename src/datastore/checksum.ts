// sha256 of a file, streamed (datastores can be larger than memory).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DatastoreError } from './errors.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Normalises a user-given checksum (case, `sha256:` prefix); rejects anything but 64 hex digits. */
export function parseSha256(value: string, source: string): string {
  const hex = value
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new DatastoreError(
      source,
      `datastore_sha256 '${value}' is not a sha256 (64 hex digits). ` +
        'Fix: set it to the output of `sha256sum <file>`, or leave it empty.',
    );
  }
  return hex;
}

export function checkSha256(actual: string, expected: string, source: string): void {
  if (actual !== expected) {
    throw new DatastoreError(
      source,
      `sha256 mismatch for ${source}: expected ${expected}, got ${actual}. ` +
        'The file changed or the download is corrupt. Fix: if the new content is intended, update ' +
        'datastore_sha256 (and datastore_version); otherwise check the URL.',
    );
  }
}
