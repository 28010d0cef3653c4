// One HEAD request with conditional headers, through the same HTTP layer as the download (proxy
// settings, redirects, credentials, timeout, cancel). Any failure but a cancel is "no answer": the
// caller then downloads, and the download reports the real error with its retries.
import type { IncomingHttpHeaders } from 'node:http';
import { CancelledError } from '../util/cancel.js';
import { openUrl } from '../net/http.js';

export interface HeadAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

export async function headRequest(
  url: string,
  headers: Record<string, string>,
  timeoutMs = 30_000,
  signal?: AbortSignal,
): Promise<HeadAnswer | { error: string }> {
  try {
    const opened = await openUrl(url, { method: 'HEAD', headers, timeoutMs, signal, what: 'checking the datastore' });
    opened.res.resume(); // drains the (empty) body so the socket is released
    return { status: opened.res.statusCode ?? 0, headers: opened.res.headers };
  } catch (e) {
    if (e instanceof CancelledError) throw e;
    return { error: (e as Error).message ?? String(e) };
  }
}
