// A real HTTP server on 127.0.0.1 for datastore tests: serves fixtures, counts requests per path,
// and can be slow, fail the first N requests, cut a body short, or redirect.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
}

export interface TestServer {
  url(path: string): string;
  /** Requests seen per path, and in total. */
  count(path?: string): number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDatastoreServer(routes: Record<string, Route>): Promise<TestServer> {
  const counts = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.delayMs) await sleep(route.delayMs);
    if (route.redirect) {
      res.writeHead(302, { location: `http://${req.headers.host}${route.redirect}` }).end();
      return;
    }
    if (route.failFirst && n <= route.failFirst) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    const body = Buffer.from(route.body ?? '');
    res.writeHead(route.status ?? 200, {
      'content-type': route.contentType ?? 'application/octet-stream',
      'content-length': String(body.length),
    });
    const half = body.subarray(0, Math.floor(body.length / 2));
    res.write(half);
    if (route.truncateFirst && n <= route.truncateFirst) {
      await sleep(20);
      res.destroy();
      return;
    }
    if (route.delayMs) await sleep(route.delayMs);
    res.end(body.subarray(half.length));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    count: (path) => (path ? counts.get(path) ?? 0 : [...counts.values()].reduce((a, b) => a + b, 0)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
