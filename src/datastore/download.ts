// Downloads a datastore URL to a file: up to 3 attempts (5xx, 408, 429, connection errors and cut-off
// bodies are retried with backoff), a timeout on every silence (connecting, waiting for the answer,
// a pause in the body), progress lines for long downloads, and the run's AbortSignal, which ends
// the download at once. Failures become messages that name the (redacted) URL and the fix.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError, cancellableSleep, throwIfCancelled } from '../util/cancel.js';
import { formatDuration } from '../util/duration.js';
import { redactText } from '../util/redact.js';
import type { RetryBackoff } from './cache.js';
import { DatastoreError } from './errors.js';
import { formatBytes } from './extract-budget.js';
import { HttpTimeoutError, openUrl, type StallPhase } from './http.js';
import type { DatastoreLogger } from './logger.js';

export const DOWNLOAD_ATTEMPTS = 3;
/** Default for download_timeout: the longest silence from a server before the download fails. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;
/** How often a running download reports its progress (short downloads print nothing). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;
const DEFAULT_RETRY: RetryBackoff = { minSeconds: 10, maxSeconds: 20 };
/** A Retry-After longer than this is not waited for. */
const MAX_RETRY_AFTER_S = 60;

export interface DownloadOptions {
  /** The full URL (may carry credentials). */
  url: string;
  /** Must not exist. */
  dest: string;
  /** The redacted URL, for messages. */
  shown: string;
  /** download_timeout in ms (default 30 s); 0 = wait forever. */
  timeoutMs?: number;
  signal?: AbortSignal;
  retry?: RetryBackoff;
  log?: DatastoreLogger;
  progressIntervalMs?: number;
}

class StatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterS: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

class TruncatedError extends Error {}

export async function downloadFile(o: DownloadOptions): Promise<void> {
  const retry = o.retry ?? DEFAULT_RETRY;
  let lastError: unknown;
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
    throwIfCancelled(o.signal, `downloading ${o.shown}`);
    try {
      await attemptOnce(o);
      return;
    } catch (err) {
      await rm(o.dest, { force: true });
      if (err instanceof CancelledError) throw new CancelledError(`cancelled while downloading ${o.shown}`);
      lastError = err;
      if (!retryable(err) || attempt === DOWNLOAD_ATTEMPTS) break;
      const backoff = retry.minSeconds + Math.random() * (retry.maxSeconds - retry.minSeconds);
      const retryAfter = err instanceof StatusError ? err.retryAfterS : undefined;
      const waitS =
        retryAfter !== undefined && retryAfter <= MAX_RETRY_AFTER_S ? Math.max(backoff, retryAfter) : backoff;
      o.log?.info(
        `Download of ${o.shown} failed (${describe(err, o)}); attempt ${attempt + 1} of ${DOWNLOAD_ATTEMPTS} in ${waitS.toFixed(0)} s`,
      );
      await cancellableSleep(waitS * 1000, o.signal, `downloading ${o.shown}`);
    }
  }
  throw downloadError(lastError, o);
}

/** 5xx, 408, 429, dropped connections and cut-off bodies are worth another try; a stall only after some data. */
function retryable(err: unknown): boolean {
  if (err instanceof StatusError) return err.status >= 500 || err.status === 408 || err.status === 429;
  // A server that accepted the connection and then said nothing will most likely do so again.
  if (err instanceof HttpTimeoutError) return err.phase === 'body' && err.bytes > 0;
  return true;
}

async function attemptOnce(o: DownloadOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const opened = await openUrl(o.url, { method: 'GET', timeoutMs, signal: o.signal, what: `downloading ${o.shown}` });
  const { res } = opened;
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    opened.close();
    const ra = Number(res.headers['retry-after']);
    throw new StatusError(status, Number.isFinite(ra) && ra >= 0 ? ra : undefined);
  }
  const total = res.headers['content-encoding'] ? NaN : Number(res.headers['content-length'] ?? NaN);
  const started = Date.now();
  const interval = o.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  let bytes = 0;
  let reported = false;
  let nextReport = started + interval;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      opened.received(chunk.length);
      const now = Date.now();
      if (o.log && now >= nextReport) {
        nextReport = now + interval;
        reported = true;
        o.log.info(`Downloading ${o.shown}: ${progress(bytes, total, now - started)}`);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, count, createWriteStream(o.dest, { flags: 'wx' }));
  } catch (err) {
    opened.close();
    throw err;
  }
  if (Number.isFinite(total) && bytes !== total)
    throw new TruncatedError(`the server sent ${bytes} of the ${total} bytes it announced`);
  if (reported && o.log)
    o.log.info(`Downloaded ${o.shown}: ${formatBytes(bytes)} in ${formatDuration((Date.now() - started) / 1000)}`);
}

function progress(bytes: number, total: number, ms: number): string {
  const rate = ms > 0 ? `${formatBytes((bytes * 1000) / ms)}/s` : '';
  const of =
    Number.isFinite(total) && total > 0 ? ` of ${formatBytes(total)} (${Math.floor((100 * bytes) / total)}%)` : '';
  return `${formatBytes(bytes)}${of}, ${rate}`;
}

const STALL: Record<StallPhase, string> = {
  connect: 'could not connect',
  response: 'the server accepted the connection but sent no answer',
  body: 'the download stalled (no data)',
};

function describe(err: unknown, o: DownloadOptions): string {
  if (err instanceof StatusError) return `HTTP ${err.status}`;
  if (err instanceof HttpTimeoutError)
    return `${STALL[err.phase]} for ${seconds(err.timeoutMs)}${err.bytes ? ` after ${formatBytes(err.bytes)}` : ''}`;
  return redactText((err as Error)?.message ?? String(err), [o.url]);
}

const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

function downloadError(err: unknown, o: DownloadOptions): DatastoreError {
  const source = o.shown;
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
        `HTTP ${code} from ${source} after ${DOWNLOAD_ATTEMPTS} attempts: the server is failing. ` +
          'Fix: try again later, or host the datastore somewhere else.',
      );
    }
    return new DatastoreError(source, `HTTP ${code} from ${source}: expected 200. Fix: check the datastore URL.`);
  }
  if (err instanceof HttpTimeoutError) {
    const retried = retryable(err) ? ` (${DOWNLOAD_ATTEMPTS} attempts)` : '';
    return new DatastoreError(
      source,
      `Downloading ${source} timed out: ${describe(err, o)}${retried}, the download_timeout. ` +
        'Fix: check that the server is up and reachable from this machine; if it is only slow, raise download_timeout (seconds; 0 waits forever).',
    );
  }
  return new DatastoreError(
    source,
    `Could not download ${source} after ${DOWNLOAD_ATTEMPTS} attempts: ${describe(err, o)}. ` +
      'Fix: check the host name and port, and that this machine can reach it (proxy, firewall).',
  );
}
