// One HEAD request with conditional headers, through @actions/http-client like the download itself
// (same proxy settings, same redirect handling). Any failure is "no answer": the caller then
// downloads, and the download reports the real error with its retries.
import type { IncomingHttpHeaders } from 'node:http';
import { HttpClient } from '@actions/http-client';

export interface HeadAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

export async function headRequest(
  url: string,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<HeadAnswer | { error: string }> {
  const client = new HttpClient('textclf-datastore', [], { allowRetries: false, socketTimeout: timeoutMs });
  try {
    const res = await client.head(url, headers);
    await res.readBody(); // drains the (empty) body so the socket is released
    return { status: res.message.statusCode ?? 0, headers: res.message.headers };
  } catch (e) {
    return { error: (e as Error).message ?? String(e) };
  } finally {
    client.dispose();
  }
}
