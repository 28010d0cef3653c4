// A Hugging Face hub stand-in on 127.0.0.1: serves model dirs at /{model}/resolve/{revision}/{file}
// (Range requests answered with 206, like the real hub), 404 for anything else, and records every
// request with its headers, so tests can assert that a cached load makes none and where a token
// went. Like huggingface.co, which sends big files to a CDN on another host, `redirects` answers
// chosen files with a 302 to another server.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface FakeHub {
  /** Base URL with a trailing slash, for env.remoteHost / hub_url. */
  url: string;
  requests: {
    method: string;
    path: string;
    range?: string;
    status: number;
    /** The Authorization header, if any. */
    authorization?: string;
    headers: Record<string, string | string[] | undefined>;
  }[];
  close(): Promise<void>;
}

export interface FakeHubOptions {
  /** File name (e.g. 'model.safetensors') -> base URL of another server: 302 to `${base}${path}` there. */
  redirects?: Record<string, string>;
}

export async function startFakeHub(models: Record<string, string>, opts: FakeHubOptions = {}): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range;
    const reply = (status: number) => {
      requests.push({
        method: req.method ?? 'GET',
        path,
        range,
        status,
        authorization: req.headers.authorization,
        headers: { ...req.headers },
      });
      res.statusCode = status;
    };
    const file = /\/resolve\/[^/]+\/(.+)$/.exec(path)?.[1];
    const elsewhere = file ? opts.redirects?.[file] : undefined;
    if (elsewhere) {
      reply(302);
      res.setHeader('location', `${elsewhere.replace(/\/$/, '')}${req.url}`);
      res.end();
      return;
    }
    const m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const root = m ? models[m[1]] : undefined;
    const local = m && root ? normalize(join(root, m[3])) : undefined;
    if (!local || !local.startsWith(normalize(root!)) || !existsSync(local) || !statSync(local).isFile()) {
      reply(404);
      res.setHeader('content-type', 'text/plain');
      res.end('Entry not found');
      return;
    }
    const size = statSync(local).size;
    const r = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    res.setHeader('accept-ranges', 'bytes');
    if (r) {
      const start = Number(r[1]),
        end = Math.min(size - 1, r[2] ? Number(r[2]) : size - 1);
      if (start >= size) {
        reply(416);
        res.setHeader('content-range', `bytes */${size}`);
        res.end();
        return;
      }
      reply(206);
      res.setHeader('content-range', `bytes ${start}-${end}/${size}`);
      res.setHeader('content-length', String(end - start + 1));
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(local, { start, end }).pipe(res);
      return;
    }
    reply(200);
    res.setHeader('content-length', String(size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(local).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
