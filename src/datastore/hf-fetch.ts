// The `fetch` every Hub dataset request goes through (@huggingface/hub's API calls and our file
// downloads): HF_TOKEN is added here, and only for a trusted hub origin (util/hf-token.ts), never
// across a redirect to another origin (the Hub sends file bodies to a CDN with a signed URL);
// redirects are followed by hand (https -> http refused); a silence longer than the timeout
// (connecting, waiting for the answer, or between two chunks of the body) fails the request with
// HubTimeoutError; the run's cancel signal ends it at once with CancelledError.
import { CancelledError } from '../util/cancel.js';
import { hfToken, tokenOrigin } from '../util/hf-token.js';
import { USER_AGENT } from '../net/http.js';

const MAX_REDIRECTS = 10;
/** Bodies up to this size (with a Content-Length) are read at once. */
const SMALL_BODY = 64 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HubTimeoutError extends Error {
  override readonly name = 'HubTimeoutError';
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly phase: 'response' | 'body',
  ) {
    super(
      phase === 'response'
        ? `no answer from ${url} for ${timeoutMs / 1000} s`
        : `the download from ${url} stalled (no data for ${timeoutMs / 1000} s)`,
    );
  }
}

export interface HubFetchOptions {
  /** Longest silence in ms (0: none). */
  timeoutMs: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** What is being fetched, for CancelledError's message. */
  what: string;
}

export function hubFetch(o: HubFetchOptions): typeof fetch {
  const env = o.env ?? process.env;
  const token = hfToken(env);
  return async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const start = new URL(input instanceof Request ? input.url : String(input));
    let current = start;
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init.headers);
      headers.set('user-agent', USER_AGENT);
      // The library never holds the token: it is added here, for a trusted origin only.
      if (token && current.origin === start.origin && tokenOrigin(current, env))
        headers.set('authorization', `Bearer ${token}`);
      else headers.delete('authorization');
      const res = await watched(current, { ...init, headers, redirect: 'manual' }, o);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${start.href}`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:')
        throw new Error(`${current.href} redirected to ${next.protocol.replace(':', '')}, which is refused`);
      current = next;
    }
  };
}

/** One request whose answer and body are watched for silence and for the cancel signal. */
async function watched(url: URL, init: RequestInit, o: HubFetchOptions): Promise<Response> {
  if (o.signal?.aborted) throw new CancelledError(`cancelled ${o.what}`);
  const ctl = new AbortController();
  let phase: 'response' | 'body' = 'response';
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (!o.timeoutMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(new HubTimeoutError(url.href, o.timeoutMs, phase)), o.timeoutMs);
  };
  const onAbort = () => ctl.abort(new CancelledError(`cancelled ${o.what}`));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const done = () => {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  };
  arm();
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: ctl.signal });
  } catch (e) {
    done();
    throw ctl.signal.aborted ? ctl.signal.reason : e;
  }
  if (!res.body || [204, 205, 304].includes(res.status)) {
    done();
    return res;
  }
  phase = 'body';
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length <= SMALL_BODY) {
    // API answers and the library's 1-byte size probes: read now, so that none holds a timer or a
    // listener on the run's signal after its caller has looked at the headers only.
    arm();
    try {
      const bytes = await res.arrayBuffer();
      return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (e) {
      throw ctl.signal.aborted ? ctl.signal.reason : e;
    } finally {
      done();
    }
  }
  // A big body is watched only while someone waits for it.
  clearTimeout(timer);
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      try {
        arm();
        const { done: end, value } = await reader.read();
        clearTimeout(timer);
        if (end) {
          done();
          c.close();
          return;
        }
        c.enqueue(value);
      } catch (e) {
        done();
        c.error(ctl.signal.aborted ? ctl.signal.reason : e);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
