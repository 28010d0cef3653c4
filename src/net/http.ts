// One HTTP(S) request (a datastore URL, a hub file), with what @actions/http-client lacks for big
// downloads: a timeout that covers connecting, waiting for the answer and every pause in the body;
// an optional time limit for the whole request; the run's AbortSignal; and credentials (an
// Authorization header, else the URL's userinfo as Basic auth) that never follow a redirect to
// another origin. Proxies (https_proxy, no_proxy) come from http-client's agent.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { HttpClient } from '@actions/http-client';
import { CancelledError } from '../util/cancel.js';

export const USER_AGENT = 'textclf';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** Where a request stalled: connecting, waiting for the status line, or in the middle of the body. */
export type StallPhase = 'connect' | 'response' | 'body';

export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
  constructor(
    readonly phase: StallPhase,
    readonly timeoutMs: number,
    /** Body bytes received before the stall. */
    readonly bytes: number,
  ) {
    super(`timed out (${phase}) after ${timeoutMs} ms`);
  }
}

/** The time limit of a whole download (download_time_limit) passed while this request ran. */
export class TimeLimitError extends Error {
  override readonly name = 'TimeLimitError';
  constructor(
    /** Body bytes received in this request before the limit. */
    readonly bytes: number,
  ) {
    super('the time limit passed');
  }
}

/** A redirect that is refused (too many, https -> http, another scheme): trying again cannot help. */
export class RedirectError extends Error {
  override readonly name = 'RedirectError';
}

export interface OpenOptions {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Longest silence allowed while connecting, waiting for the answer, or reading the body; 0 = none. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** What is being fetched, for CancelledError's message. */
  what: string;
  /** Date.now() after which the request fails with TimeLimitError (the whole download's limit). */
  deadline?: number;
  /** Sent as Authorization to the first URL's origin only (default: Basic auth from its userinfo). */
  authorization?: string;
}

export interface Opened {
  res: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: string;
  /** Counts body bytes for timeout messages; call as data arrives. */
  received(n: number): void;
  /** Ends the request (and its timers and listeners) early. */
  close(): void;
}

const agents = new HttpClient(USER_AGENT);

/**
 * Sends the request and follows redirects (at most 10; https -> http refused); resolves with the
 * final answer, whatever its status. The timeout and the signal keep watching the body until it
 * ends: reading `res` then fails with HttpTimeoutError or CancelledError.
 */
export async function openUrl(url: string, o: OpenOptions): Promise<Opened> {
  let current = new URL(url);
  const origin = current.origin;
  const auth = o.authorization ?? basicAuth(current);
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...o.headers };
    if (auth && current.origin === origin) headers.authorization = auth;
    const opened = await once(current, headers, o);
    const status = opened.res.statusCode ?? 0;
    const location = opened.res.headers.location;
    if (!REDIRECTS.has(status) || !location) return opened;
    opened.close();
    if (hop >= MAX_REDIRECTS) throw new RedirectError(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (current.protocol === 'https:' && next.protocol !== 'https:')
      throw new RedirectError(`redirected from https to ${next.protocol.replace(':', '')}, which is refused`);
    if (next.protocol !== 'https:' && next.protocol !== 'http:')
      throw new RedirectError(`redirected to a ${next.protocol} URL, which is refused`);
    current = next;
  }
}

function basicAuth(u: URL): string | undefined {
  if (!u.username && !u.password) return undefined;
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

function once(u: URL, headers: Record<string, string>, o: OpenOptions): Promise<Opened> {
  return new Promise((resolve, reject) => {
    let phase: StallPhase = 'connect';
    let bytes = 0;
    let res: IncomingMessage | undefined;
    let settled = false;
    const fail = (err: Error) => {
      cleanup();
      res?.destroy(err);
      req.destroy(err);
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const onAbort = () => fail(new CancelledError(`cancelled ${o.what}`));
    const limit =
      o.deadline !== undefined
        ? setTimeout(() => fail(new TimeLimitError(bytes)), Math.max(0, o.deadline - Date.now()))
        : undefined;
    const cleanup = () => {
      clearTimeout(limit);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const mod = u.protocol === 'https:' ? https : http;
    const req: ClientRequest = mod.request(
      {
        protocol: u.protocol,
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: o.method,
        headers,
        agent: agents.getAgent(u.href),
        // Socket inactivity, from before the connection is made until the body ends.
        timeout: o.timeoutMs > 0 ? o.timeoutMs : undefined,
      },
      (r) => {
        res = r;
        phase = 'body';
        r.on('end', cleanup);
        r.on('close', cleanup);
        settled = true;
        resolve({
          res: r,
          url: u.href,
          received: (n) => {
            bytes += n;
          },
          close: () => {
            cleanup();
            r.destroy();
            req.destroy();
          },
        });
      },
    );
    req.on('socket', (s) => {
      // A reused keep-alive socket is connected already; TLS is connected after its handshake.
      if (!s.connecting) phase = 'response';
      else s.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => (phase = 'response'));
    });
    if (o.timeoutMs > 0) req.on('timeout', () => fail(new HttpTimeoutError(phase, o.timeoutMs, bytes)));
    req.on('error', (e) => fail(e));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
