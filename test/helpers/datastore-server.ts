// A real HTTP server on 127.0.0.1 for datastore tests: serves fixtures, counts requests per path,
// and can be slow, stall (never answer, or stop mid-body), trickle, fail the first N requests, cut a body
// short, require Basic auth, or redirect (to the same or another server). Routes may carry HTTP
// validators (ETag, Last-Modified) and then answer conditional requests with 304; mutate a route's
// body/etag between requests to "change the source".
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Route {
  body?: Buffer | string;
  status?: number;
  contentType?: string;
  /** Answer 500 to the first N requests, then serve normally. */
  failFirst?: number;
  /** Send half the body to the first N requests, then drop the connection. */
  truncateFirst?: number;
  /** Wait this long before answering, and again between the two halves of the body. */
  delayMs?: number;
  /** 302 to this path (sent as an absolute URL: @actions/http-client cannot follow relative ones). */
  redirect?: string;
  /** Sent as ETag; If-None-Match with it (weak comparison) gets 304. */
  etag?: string;
  /** Sent as Last-Modified; If-Modified-Since at or after it gets 304 (when no If-None-Match). */
  lastModified?: string;
  /** Answer HEAD with 405 Method Not Allowed. */
  noHead?: boolean;
  /** Accept the request and never answer ('headers'), or send the headers and half the body, then nothing ('body'). */
  stall?: 'headers' | 'body';
  /** 302 to this absolute URL (another server: another origin). */
  redirectTo?: string;
  /** Answer 401 unless the request carries this Authorization header. */
  requireAuth?: string;
  /** Send the headers and half the body, then the rest only once this settles (a test-controlled download). */
  hold?: Promise<unknown>;
  /** After the first half, send the rest one byte every this many ms (never silent long enough for a timeout). */
  trickleMs?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface TestServer {
  url(path: string): string;
  /** Requests seen per path (optionally of one method), and in total. */
  count(path?: string, method?: string): number;
  /** Every request in order, with its headers and the status it got (0: never answered). */
  requests: SeenRequest[];
  /** Connections currently open (a stalled request keeps one). */
  openConnections(): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RFC 9110 §13.1: If-None-Match wins over If-Modified-Since; ETags compare weakly for GET/HEAD. */
function notModified(req: IncomingMessage, route: Route): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (!route.etag) return false;
    const weak = (t: string) => t.trim().replace(/^W\//, '');
    return inm.split(',').some((t) => t.trim() === '*' || weak(t) === weak(route.etag!));
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined && route.lastModified) {
    const since = Date.parse(ims),
      modified = Date.parse(route.lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

export async function startDatastoreServer(routes: Record<string, Route>): Promise<TestServer> {
  const counts = new Map<string, number>();
  const requests: SeenRequest[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const seen: SeenRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, status: 0 };
    requests.push(seen);
    res.on('finish', () => {
      seen.status = res.statusCode;
    });
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.stall === 'headers') return; // the socket stays open until the client gives up
    if (route.delayMs) await sleep(route.delayMs);
    if (route.redirectTo) {
      res.writeHead(302, { location: route.redirectTo }).end();
      return;
    }
    if (route.requireAuth !== undefined && req.headers.authorization !== route.requireAuth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="data"', 'content-type': 'text/plain' }).end('no');
      return;
    }
    if (route.redirect) {
      res.writeHead(302, { location: `http://${req.headers.host}${route.redirect}` }).end();
      return;
    }
    if (route.failFirst && n <= route.failFirst) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    if (req.method === 'HEAD' && route.noHead) {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const body = Buffer.from(route.body ?? '');
    const validators: Record<string, string> = {};
    if (route.etag) validators.etag = route.etag;
    if (route.lastModified) validators['last-modified'] = route.lastModified;
    if (notModified(req, route)) {
      res.writeHead(304, validators).end();
      return;
    }
    res.writeHead(route.status ?? 200, {
      'content-type': route.contentType ?? 'application/octet-stream',
      'content-length': String(body.length),
      ...validators,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const half = body.subarray(0, Math.floor(body.length / 2));
    res.write(half);
    if (route.stall === 'body') return;
    if (route.hold) await route.hold;
    if (route.truncateFirst && n <= route.truncateFirst) {
      await sleep(20);
      res.destroy();
      return;
    }
    if (route.trickleMs) {
      for (let i = half.length; i < body.length - 1 && !res.destroyed; i++) {
        res.write(body.subarray(i, i + 1));
        await sleep(route.trickleMs);
      }
      if (res.destroyed) return;
      res.end(body.subarray(body.length - 1));
      return;
    }
    if (route.delayMs) await sleep(route.delayMs);
    res.end(body.subarray(half.length));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    openConnections: () => sockets.size,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    count: (path, method) =>
      method
        ? requests.filter((r) => r.path === path && r.method === method).length
        : path
          ? (counts.get(path) ?? 0)
          : [...counts.values()].reduce((a, b) => a + b, 0),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}
