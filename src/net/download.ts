// Downloads one URL to a file, for datastores and hub models alike: up to 3 attempts (5xx, 408, 429,
// dropped connections and cut-off bodies are retried with backoff, and each retry is logged), a
// timeout on every silence (connecting, waiting for the answer, a pause in the body), one time limit
// for the whole download (attempts and the waits between them included), progress lines with bytes
// and rate for long downloads, and the run's AbortSignal, which ends the download at once. What
// cannot get better by trying again (a refused connection, an unknown host, a refused redirect, a
// 4xx answer) fails at once. Failures are DownloadError: the caller words them for its flags.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes } from '../util/bytes.js';
import { CancelledError, cancellableSleep, throwIfCancelled } from '../util/cancel.js';
import { formatDuration } from '../util/duration.js';
import { redactText } from '../util/redact.js';
import { HttpTimeoutError, openUrl, RedirectError, TimeLimitError, type StallPhase } from './http.js';

export const DOWNLOAD_ATTEMPTS = 3;
/** Default for download_timeout: the longest silence from a server before the download fails. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;
/** How often a running download reports its progress (short downloads print nothing). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;
/** A Retry-After longer than this is not waited for. */
const MAX_RETRY_AFTER_S = 60;

export interface RetryBackoff {
  minSeconds: number;
  maxSeconds: number;
}
const DEFAULT_RETRY: RetryBackoff = { minSeconds: 10, maxSeconds: 20 };

export interface DownloadOptions {
  /** The full URL (may carry credentials). */
  url: string;
  /** Must not exist. */
  dest: string;
  /** The redacted URL, for messages. */
  shown: string;
  /** Sent to the URL's own origin only (default: Basic auth from the URL's userinfo). */
  authorization?: string;
  /** download_timeout in ms (default 30 s); 0 = wait forever. */
  timeoutMs?: number;
  /** download_time_limit in ms: the whole download, retries included; 0 or undefined = none. */
  timeLimitMs?: number;
  signal?: AbortSignal;
  retry?: RetryBackoff;
  log?: { info(message: string): void };
  progressIntervalMs?: number;
}

export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly status: number,
    readonly retryAfterS: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
}

/** A download that failed: the last attempt's error, how many attempts were made, and whether the time limit ended it. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly last: unknown,
    readonly attempts: number,
    /** The time limit passed (during an attempt, or it left no time for the next one). */
    readonly timeLimitMs: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface Downloaded {
  bytes: number;
  seconds: number;
}

export async function downloadFile(o: DownloadOptions): Promise<Downloaded> {
  const retry = o.retry ?? DEFAULT_RETRY;
  const started = Date.now();
  const deadline = o.timeLimitMs ? started + o.timeLimitMs : undefined;
  let lastError: unknown;
  let attempt = 1;
  for (; ; attempt++) {
    throwIfCancelled(o.signal, `downloading ${o.shown}`);
    try {
      return await attemptOnce(o, deadline);
    } catch (err) {
      await rm(o.dest, { force: true });
      if (err instanceof CancelledError) throw new CancelledError(`cancelled while downloading ${o.shown}`);
      lastError = err;
      if (err instanceof TimeLimitError) return fail(err, attempt, o, true);
      if (!retryable(err) || attempt === DOWNLOAD_ATTEMPTS) break;
      const backoff = retry.minSeconds + Math.random() * (retry.maxSeconds - retry.minSeconds);
      const retryAfter = err instanceof StatusError ? err.retryAfterS : undefined;
      const waitS =
        retryAfter !== undefined && retryAfter <= MAX_RETRY_AFTER_S ? Math.max(backoff, retryAfter) : backoff;
      const left = deadline === undefined ? undefined : (deadline - Date.now()) / 1000;
      if (left !== undefined && left <= waitS) {
        o.log?.info(
          `Download of ${o.shown} failed (${describeFailure(err, o.url)}); no attempt ${attempt + 1}: the time limit leaves ${seconds(left * 1000)}`,
        );
        return fail(err, attempt, o, true);
      }
      o.log?.info(
        `Download of ${o.shown} failed (${describeFailure(err, o.url)}); attempt ${attempt + 1} of ${DOWNLOAD_ATTEMPTS} in ${waitS.toFixed(0)} s` +
          (left !== undefined ? ` (${formatDuration(left)} of the time limit left)` : ''),
      );
      await cancellableSleep(waitS * 1000, o.signal, `downloading ${o.shown}`).catch((e: unknown) => {
        throw e instanceof CancelledError ? new CancelledError(`cancelled while downloading ${o.shown}`) : e;
      });
    }
  }
  return fail(lastError, attempt, o, false);
}

function fail(err: unknown, attempts: number, o: DownloadOptions, byLimit: boolean): never {
  throw new DownloadError(
    err,
    attempts,
    byLimit ? o.timeLimitMs : undefined,
    `downloading ${o.shown} failed: ${describeFailure(err, o.url)}`,
  );
}

/** Connection errors that another attempt cannot fix (the port is closed, the name does not resolve, TLS is refused). */
const FINAL_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_FAIL',
  'EAI_NONAME',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
]);

/** 5xx, 408, 429, dropped connections and cut-off bodies are worth another try; a stall only after some data. */
export function retryable(err: unknown): boolean {
  if (err instanceof StatusError) return err.status >= 500 || err.status === 408 || err.status === 429;
  // A server that accepted the connection and then said nothing will most likely do so again.
  if (err instanceof HttpTimeoutError) return err.phase === 'body' && err.bytes > 0;
  if (err instanceof RedirectError || err instanceof TimeLimitError) return false;
  return !FINAL_CODES.has((err as NodeJS.ErrnoException)?.code ?? '');
}

async function attemptOnce(o: DownloadOptions, deadline: number | undefined): Promise<Downloaded> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const opened = await openUrl(o.url, {
    method: 'GET',
    timeoutMs,
    signal: o.signal,
    what: `downloading ${o.shown}`,
    deadline,
    authorization: o.authorization,
  });
  const { res } = opened;
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    opened.close();
    const ra = Number(res.headers['retry-after']);
    throw new StatusError(status, Number.isFinite(ra) && ra >= 0 ? ra : undefined);
  }
  // (a compressed answer's content-length counts compressed bytes: no check then)
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
  const secs = (Date.now() - started) / 1000;
  if (reported && o.log) o.log.info(`Downloaded ${o.shown}: ${formatBytes(bytes)} in ${formatDuration(secs)}`);
  return { bytes, seconds: secs };
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

/** One attempt's failure in words (credentials in `url` redacted). */
export function describeFailure(err: unknown, url: string): string {
  if (err instanceof StatusError) return `HTTP ${err.status}`;
  if (err instanceof HttpTimeoutError)
    return `${STALL[err.phase]} for ${seconds(err.timeoutMs)}${err.bytes ? ` after ${formatBytes(err.bytes)}` : ''}`;
  if (err instanceof TimeLimitError)
    return `the time limit passed${err.bytes ? ` after ${formatBytes(err.bytes)} of this attempt` : ''}`;
  return redactText((err as Error)?.message ?? String(err), [url]);
}

export const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;
