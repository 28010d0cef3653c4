// Downloads through @actions/tool-cache (3 attempts; 5xx, 408, 429 and network errors retried
// with backoff) and turns its failures into messages that name the source and the fix.
import * as tc from '@actions/tool-cache';
import { DatastoreError } from './errors.js';

export const DOWNLOAD_ATTEMPTS = 3;

/** Downloads `url` to `dest` (which must not exist); `source` is the redacted URL for messages. */
export async function downloadFile(url: string, dest: string, source: string): Promise<void> {
  try {
    await tc.downloadTool(url, dest);
  } catch (err) {
    throw downloadError(err, source);
  }
}

function downloadError(err: unknown, source: string): DatastoreError {
  if (err instanceof tc.HTTPError) {
    const code = err.httpStatusCode ?? 0;
    if (code === 404 || code === 410) {
      return new DatastoreError(
        source,
        `HTTP ${code} from ${source}: there is no file at that URL. ` +
          'Fix: check the datastore URL (copy the direct download link of the .zip/.tar.gz/.csv).',
      );
    }
    if (code === 401 || code === 403) {
      return new DatastoreError(
        source,
        `HTTP ${code} from ${source}: access denied. ` +
          'Fix: make the file readable, or use a presigned URL passed in from a secret.',
      );
    }
    if (code >= 500 || code === 408 || code === 429) {
      return new DatastoreError(
        source,
        `HTTP ${code} from ${source} after ${DOWNLOAD_ATTEMPTS} attempts: the server is failing. ` +
          'Fix: try again later, or host the datastore somewhere else.',
      );
    }
    return new DatastoreError(source, `HTTP ${code} from ${source}: expected 200. Fix: check the datastore URL.`);
  }
  const message = (err as Error)?.message ?? String(err);
  return new DatastoreError(
    source,
    `Could not download ${source} after ${DOWNLOAD_ATTEMPTS} attempts: ${message}. ` +
      'Fix: check the host name and port, and that this machine can reach it (proxy, firewall).',
  );
}
