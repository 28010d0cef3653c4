// A Hugging Face Hub stand-in for dataset repositories on 127.0.0.1, speaking the HTTP API that
// @huggingface/hub and the `datasets` library use:
//   GET /api/datasets/{owner}/{name}/revision/{revision}   repo info with the commit `sha`
//   GET /api/datasets/{owner}/{name}/tree/{revision}[/{path}]?recursive=  file list, paged by a
//       Link: <...>; rel="next" header (as the Hub pages big repositories)
//   GET|HEAD /datasets/{owner}/{name}/resolve/{revision}/{path}   the file (Range -> 206), with
//       ETag and X-Repo-Commit; big files (`cdnAbove` bytes) answer 302 to a second "CDN" server
//       with a signed URL, like the Hub's LFS/Xet files.
// Like the Hub, a private repository (or a missing one) answers 401 to a request without a valid
// token and 404 (X-Error-Code RepoNotFound) to one with a token that cannot see it; a missing file
// is 404 with X-Error-Code EntryNotFound; a missing revision 404 RevisionNotFound. Every request is
// recorded with its Authorization header, on both servers.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRevision {
  /** 40 hex digits. */
  sha: string;
  /** Repo path -> local file. */
  files: Record<string, string>;
}

export interface FakeDatasetRepo {
  private?: boolean;
  /** Tokens that may read it (private repos). */
  tokens?: string[];
  /** Branch, tag or ref name (e.g. main, refs/convert/parquet) -> its commit. */
  revisions: Record<string, FakeRevision>;
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  authorization?: string;
  status: number;
}

export interface FakeDatasetHub {
  /** Base URL without a trailing slash (as HF_ENDPOINT is usually written). */
  url: string;
  cdnUrl: string;
  requests: RecordedRequest[];
  repos: Record<string, FakeDatasetRepo>;
  /** Paths (repo-relative file paths, or 'api') that accept the connection and never answer. */
  stall: Set<string>;
  /** Files whose full download sends the first half of the bytes and then nothing. */
  stallMidway: Set<string>;
  close(): Promise<void>;
}

export interface FakeDatasetHubOptions {
  /** Files of at least this many bytes are served from the CDN server (default 64 KiB). */
  cdnAbove?: number;
  /** Entries per page of the tree listing (default 50). */
  pageSize?: number;
}

export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export async function startFakeDatasetHub(
  repos: Record<string, FakeDatasetRepo>,
  o: FakeDatasetHubOptions = {},
): Promise<FakeDatasetHub> {
  const requests: RecordedRequest[] = [];
  const stall = new Set<string>();
  const stallMidway = new Set<string>();
  const signed = new Map<string, { local: string; name: string }>(); // signature -> file
  const cdnAbove = o.cdnAbove ?? 64 * 1024;
  const pageSize = o.pageSize ?? 50;
  const hanging: ServerResponse[] = [];

  const record = (server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, status: number) => {
    requests.push({
      server,
      method: req.method ?? 'GET',
      path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname),
      authorization: req.headers.authorization,
      status,
    });
    res.statusCode = status;
  };
  const json = (
    server: 'hub' | 'cdn',
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    record(server, req, res, status);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };

  /** The repository if this request may see it, else the answer already sent. */
  const access = (req: IncomingMessage, res: ServerResponse, id: string): FakeDatasetRepo | undefined => {
    const repo = repos[id];
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const allowed = repo && (!repo.private || (token !== undefined && (repo.tokens ?? []).includes(token)));
    if (allowed) return repo;
    if (!token || (repo?.private && !(repo.tokens ?? []).includes(token) && !knownToken(token)))
      json('hub', req, res, 401, { error: 'Invalid username or password.' }, { 'x-error-code': 'RepoNotFound' });
    else json('hub', req, res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
    return undefined;
  };
  const knownToken = (t: string) => Object.values(repos).some((r) => r.tokens?.includes(t));

  const sendFile = (
    server: 'hub' | 'cdn',
    req: IncomingMessage,
    res: ServerResponse,
    local: string,
    name: string,
    sha?: string,
  ) => {
    const size = statSync(local).size;
    const etag = `"${createHash('sha256').update(readFileSync(local)).digest('hex')}"`;
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('etag', etag);
    if (sha) res.setHeader('x-repo-commit', sha);
    const r = req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (r) {
      const start = Number(r[1]);
      const end = Math.min(size - 1, r[2] ? Number(r[2]) : size - 1);
      if (start >= size) {
        res.setHeader('content-range', `bytes */${size}`);
        record(server, req, res, 416);
        res.end();
        return;
      }
      record(server, req, res, 206);
      res.setHeader('content-range', `bytes ${start}-${end}/${size}`);
      res.setHeader('content-length', String(end - start + 1));
      if (req.method === 'HEAD') res.end();
      else createReadStream(local, { start, end }).pipe(res);
      return;
    }
    record(server, req, res, 200);
    res.setHeader('content-length', String(size));
    if (req.method === 'HEAD') res.end();
    else if (stallMidway.has(name)) {
      res.write(readFileSync(local).subarray(0, Math.floor(size / 2)));
      hanging.push(res);
    } else createReadStream(local).pipe(res);
  };

  let cdnUrl = '';
  const hub: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    let m = /^\/api\/datasets\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (m) {
      if (stall.has('api')) return void hanging.push(res);
      const repo = access(req, res, m[1]!);
      if (!repo) return;
      const rev = repo.revisions[decodeURIComponent(m[2]!)];
      if (!rev) return json('hub', req, res, 404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
      return json('hub', req, res, 200, {
        _id: fakeSha(m[1]!).slice(0, 24),
        id: m[1],
        private: !!repo.private,
        gated: false,
        disabled: false,
        downloads: 0,
        likes: 0,
        lastModified: '2025-01-01T00:00:00.000Z',
        sha: rev.sha,
      });
    }
    m = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (m) {
      const repo = access(req, res, m[1]!);
      if (!repo) return;
      const rev =
        Object.values(repo.revisions).find((r) => r.sha === m![2]) ?? repo.revisions[decodeURIComponent(m[2]!)];
      if (!rev) return json('hub', req, res, 404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
      const under = m[3] ? `${m[3].replace(/\/$/, '')}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries = new Map<string, object>();
      for (const [p, local] of Object.entries(rev.files).sort()) {
        if (!p.startsWith(under)) continue;
        const rest = p.slice(under.length);
        const slash = rest.indexOf('/');
        if (!recursive && slash >= 0) {
          const dir = under + rest.slice(0, slash);
          entries.set(dir, { type: 'directory', oid: fakeSha(dir), size: 0, path: dir });
          continue;
        }
        if (recursive)
          for (let i = rest.indexOf('/'); i >= 0; i = rest.indexOf('/', i + 1)) {
            const dir = under + rest.slice(0, i);
            entries.set(dir, { type: 'directory', oid: fakeSha(dir), size: 0, path: dir });
          }
        const size = statSync(local).size;
        entries.set(p, {
          type: 'file',
          oid: fakeSha(`${rev.sha}:${p}`),
          size,
          path: p,
          ...(size >= cdnAbove && { lfs: { oid: fakeSha(p), size, pointerSize: 134 } }),
        });
      }
      const all = [...entries.values()];
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = all.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < all.length) {
        const next = new URL(req.url ?? '/', `http://${req.headers.host}`);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return json('hub', req, res, 200, page, headers);
    }
    m = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const file = decodeURIComponent(m[3]!);
      if (stall.has(file)) return void hanging.push(res);
      const repo = access(req, res, m[1]!);
      if (!repo) return;
      const revName = decodeURIComponent(m[2]!);
      const rev = Object.values(repo.revisions).find((r) => r.sha === revName) ?? repo.revisions[revName];
      if (!rev) return json('hub', req, res, 404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
      const local = rev.files[file];
      if (!local) return json('hub', req, res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
      const size = statSync(local).size;
      if (size >= cdnAbove) {
        const sig = createHash('sha256').update(`${local}:${Math.random()}`).digest('hex');
        signed.set(sig, { local, name: file });
        record('hub', req, res, 302);
        res.setHeader('location', `${cdnUrl}/objects/${fakeSha(file)}?X-Amz-Signature=${sig}`);
        res.setHeader('x-linked-size', String(size));
        res.setHeader('x-linked-etag', `"${fakeSha(local)}"`);
        res.setHeader('x-repo-commit', rev.sha);
        res.end();
        return;
      }
      return sendFile('hub', req, res, local, file, rev.sha);
    }
    json('hub', req, res, 404, { error: 'Not found' });
  });
  const cdn: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const target = signed.get(url.searchParams.get('X-Amz-Signature') ?? '');
    if (!target || req.headers.authorization) {
      // A signed URL needs no credentials; the real CDN refuses requests that carry two of them.
      record('cdn', req, res, 400);
      res.end('Only one auth mechanism allowed');
      return;
    }
    sendFile('cdn', req, res, target.local, target.name);
  });
  await Promise.all([hub, cdn].map((s) => new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))));
  const url = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  return {
    url,
    cdnUrl,
    requests,
    repos,
    stall,
    stallMidway,
    close: async () => {
      for (const r of hanging) r.destroy();
      for (const s of [hub, cdn]) {
        s.closeAllConnections();
        await new Promise<void>((ok) => s.close(() => ok()));
      }
    },
  };
}
