// Downloads a datastore URL to a file through the shared downloader (net/download.ts: retries,
// timeouts, the time limit, progress, cancel) and words its failures for the datastore flags: each
// message names the (redacted) URL and the fix.
import { CancelledError } from '../util/cancel.js';
import { HttpTimeoutError } from '../net/http.js';
import {
  DownloadError,
  downloadFile as download,
  describeFailure,
  retryable,
  seconds,
  StatusError,
  type DownloadOptions,
} from '../net/download.js';
import { DatastoreError } from './errors.js';

export async function downloadFile(o: DownloadOptions): Promise<void> {
  try {
    await download(o);
  } catch (e) {
    if (e instanceof CancelledError || !(e instanceof DownloadError)) throw e;
    throw downloadError(e, o);
  }
}

function downloadError(e: DownloadError, o: DownloadOptions): DatastoreError {
  const source = o.shown;
  const err = e.last;
  const tries = e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
  if (e.timeLimitMs !== undefined) {
    return new DatastoreError(
      source,
      `Downloading ${source} did not finish within ${seconds(e.timeLimitMs)}, the download_time_limit ` +
        `(${e.attempts} attempt${e.attempts > 1 ? 's' : ''}; last: ${describeFailure(err, o.url)}). ` +
        'Fix: check that the server is up and fast enough from this machine; for a big file, raise download_time_limit (seconds; 0 = no limit).',
    );
  }
  if (err instanceof StatusError) {
    const code = err.status;
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
        `HTTP ${code} from ${source}${tries}: the server is failing. ` +
          'Fix: try again later, or host the datastore somewhere else.',
      );
    }
    return new DatastoreError(source, `HTTP ${code} from ${source}: expected 200. Fix: check the datastore URL.`);
  }
  if (err instanceof HttpTimeoutError) {
    const retried = retryable(err) ? ` (${e.attempts} attempts)` : '';
    return new DatastoreError(
      source,
      `Downloading ${source} timed out: ${describeFailure(err, o.url)}${retried}, the download_timeout. ` +
        'Fix: check that the server is up and reachable from this machine; if it is only slow, raise download_timeout (seconds; 0 waits forever).',
    );
  }
  return new DatastoreError(
    source,
    `Could not download ${source}${tries}: ${describeFailure(err, o.url)}. ` +
      'Fix: check the host name and port, and that this machine can reach it (proxy, firewall).',
  );
}
