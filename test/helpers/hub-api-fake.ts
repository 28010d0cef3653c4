// A Hugging Face Hub on 127.0.0.1 with accounts, tokens and model repos, speaking the HTTP API
// that @huggingface/hub uses to push (read from its source, node_modules/@huggingface/hub/src/lib):
//   GET  /api/whoami-v2                                   whoAmI
//   POST /api/repos/create                                createRepo (409 when the repo exists)
//   GET  /api/models/{id}[/revision/{rev}]                modelInfo, repoExists, checkRepoAccess
//   POST /api/models/{id}/preupload/{rev}                 which files go through LFS
//   POST /{id}.git/info/lfs/objects/batch                 LFS batch: "basic" transfer, never Xet
//   PUT  /__lfs/{oid}?X-Amz-Signature=...                 the presigned storage URL the batch hands out
//   POST /api/models/{id}/commit/{rev}                    the NDJSON commit (atomic: all or nothing)
//   GET  /{id}/resolve/{rev}/{path}                       downloads, as transformers.js and hub.ts read them
// with the Hub's errors and permissions: 401 "Invalid credentials in Authorization header" for a
// bad token; a private or missing repo is 401 + X-Error-Code RepoNotFound to an anonymous caller
// and 404 to a signed-in one without access (huggingface_hub's hf_raise_for_status explains
// the 401); 403 to create in or write to a namespace that is not yours or with a read token; a
// new repo starts with the Hub's .gitattributes (*.safetensors, *.onnx ... through LFS), and a
// commit that puts binary content in a regular file or names an LFS object never uploaded is
// rejected. Tests inject faults (`fail`, `stall`) and read what landed (`repos`, `requests`).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubAccount {
  name: string;
  token: string;
  /** Token role: write (default) or read. */
  role?: 'read' | 'write';
  /** Organizations the user may write to. */
  orgs?: string[];
}

export interface FakeRepo {
  id: string;
  private: boolean;
  /** The files at the head of main. */
  files: Map<string, Buffer>;
  /** Paths stored through LFS (pointer files in git). */
  lfs: Set<string>;
  /** Each commit's title and what it added or updated (path -> bytes; a deletion maps to undefined). */
  commits: {
    oid: string;
    title: string;
    description?: string;
    paths: string[];
    files: Map<string, Buffer | undefined>;
  }[];
}

export interface HubRequest {
  method: string;
  path: string;
  status: number;
  /** The Authorization header, if any. */
  authorization?: string;
}

/** A fault: answer the first matching request (after `skip` matches) with `status`, `times` times. */
export interface HubFault {
  method: string;
  /** Matched against the path (no query). */
  path: RegExp;
  status: number;
  skip?: number;
  times?: number;
}

export interface HubApiFake {
  /** Base URL with a trailing slash (hub_url, HF_ENDPOINT). */
  url: string;
  repos: Map<string, FakeRepo>;
  /** Every LFS object uploaded: oid -> bytes. */
  lfsObjects: Map<string, Buffer>;
  requests: HubRequest[];
  addRepo(id: string, o?: { private?: boolean; files?: Record<string, Buffer | string> }): FakeRepo;
  fail(f: HubFault): void;
  /** Never answer matching requests until the returned function (or close) ends them. */
  stall(method: string, path: RegExp): () => void;
  close(): Promise<void>;
}

/** The .gitattributes the Hub puts into a new model repo (its LFS rules, abridged). */
export const HUB_GITATTRIBUTES = [
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.h5 filter=lfs diff=lfs merge=lfs -text',
  '*.onnx filter=lfs diff=lfs merge=lfs -text',
  '*.ot filter=lfs diff=lfs merge=lfs -text',
  '*.parquet filter=lfs diff=lfs merge=lfs -text',
  '*.pt filter=lfs diff=lfs merge=lfs -text',
  '*.pth filter=lfs diff=lfs merge=lfs -text',
  '*.safetensors filter=lfs diff=lfs merge=lfs -text',
  '*.zip filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

/** The Hub sends files over 10 MB through LFS whatever .gitattributes says. */
const LFS_SIZE = 10 * 1024 * 1024;
const REPO_NAME = /^[A-Za-z0-9][\w.-]*$/;

export async function startHubApiFake(accounts: HubAccount[]): Promise<HubApiFake> {
  const repos = new Map<string, FakeRepo>();
  const lfsObjects = new Map<string, Buffer>();
  const requests: HubRequest[] = [];
  const faults: (HubFault & { seen: number; used: number })[] = [];
  const stalls: { method: string; path: RegExp; held: Set<ServerResponse> }[] = [];
  let base = '';

  const addRepo: HubApiFake['addRepo'] = (id, o = {}) => {
    const repo: FakeRepo = {
      id,
      private: !!o.private,
      files: new Map([['.gitattributes', Buffer.from(HUB_GITATTRIBUTES)]]),
      lfs: new Set(),
      commits: [
        {
          oid: sha1(`${id} initial`),
          title: 'initial commit',
          paths: ['.gitattributes'],
          files: new Map([['.gitattributes', Buffer.from(HUB_GITATTRIBUTES)]]),
        },
      ],
    };
    for (const [p, c] of Object.entries(o.files ?? {})) repo.files.set(p, Buffer.isBuffer(c) ? c : Buffer.from(c));
    repos.set(id, repo);
    return repo;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = decodeURIComponent(url.pathname);
      const method = req.method ?? 'GET';
      const record = (status: number) =>
        requests.push({ method, path, status, authorization: req.headers.authorization });
      const stall = stalls.find((s) => s.method === method && s.path.test(path));
      if (stall) {
        record(0);
        stall.held.add(res);
        return;
      }
      const fault = faults.find((f) => f.method === method && f.path.test(path) && f.used < (f.times ?? 1));
      if (fault && fault.seen++ >= (fault.skip ?? 0)) {
        fault.used++;
        record(fault.status);
        if (path.startsWith('/__lfs/')) {
          // storage answers as S3 does: XML
          res.statusCode = fault.status;
          res.setHeader('content-type', 'application/xml');
          return res.end(
            '<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>',
          );
        }
        return json(res, fault.status, {
          error: `Internal Error - We're working hard to fix this as soon as possible!`,
        });
      }
      const reply: Reply = (status, body, headers = {}) => {
        record(status);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        if (Buffer.isBuffer(body)) {
          res.statusCode = status;
          res.setHeader('content-length', String(body.length));
          res.end(body);
        } else json(res, status, body);
      };
      try {
        route({ req, method, path, url, body: Buffer.concat(chunks), reply });
      } catch (e) {
        reply(500, { error: (e as Error).message });
      }
    });
  });

  type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;
  interface Ctx {
    req: IncomingMessage;
    method: string;
    path: string;
    url: URL;
    body: Buffer;
    reply: Reply;
  }

  /** undefined: anonymous; null: a token was sent but is not valid. */
  function caller(req: IncomingMessage): HubAccount | undefined | null {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const token = /^Bearer (.+)$/.exec(h)?.[1];
    return accounts.find((a) => a.token === token) ?? null;
  }
  const badToken = (c: Ctx) => c.reply(401, { error: 'Invalid credentials in Authorization header' });
  const notFound = (c: Ctx, who: HubAccount | undefined) =>
    who
      ? c.reply(404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' })
      : c.reply(401, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
  const mayWrite = (who: HubAccount, namespace: string) =>
    (who.role ?? 'write') === 'write' && (who.name === namespace || (who.orgs ?? []).includes(namespace));
  const mayRead = (who: HubAccount | undefined, repo: FakeRepo) =>
    !repo.private || (!!who && (who.name === ns(repo.id) || (who.orgs ?? []).includes(ns(repo.id))));

  /** The repo of a request, or a reply already sent (bad token, not found, no write access). */
  function repoFor(c: Ctx, id: string, access: 'read' | 'write'): FakeRepo | undefined {
    const who = caller(c.req);
    if (who === null) return void badToken(c);
    const repo = repos.get(id);
    if (!repo || !mayRead(who, repo)) return void notFound(c, who);
    if (access === 'write') {
      if (!who) return void c.reply(401, { error: 'You must be authenticated to write to this repository' });
      if (!mayWrite(who, ns(id)))
        return void c.reply(403, {
          error: `You don't have the rights to write to ${id}${(who.role ?? 'write') === 'read' ? ': this token is read-only' : ''}`,
        });
    }
    return repo;
  }

  function route(c: Ctx): void {
    const { method, path } = c;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/api/whoami-v2') return whoami(c);
    if (method === 'POST' && path === '/api/repos/create') return create(c);
    if (method === 'GET' && (m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/[^/]+)?$/.exec(path))) {
      const repo = repoFor(c, m[1], 'read');
      if (!repo) return;
      return c.reply(200, {
        _id: sha1(repo.id).slice(0, 24),
        id: repo.id,
        private: repo.private,
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: new Date().toISOString(),
        sha: repo.commits.at(-1)!.oid,
        siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      });
    }
    if (method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/([^/]+)$/.exec(path)))
      return preupload(c, m[1]);
    if (method === 'POST' && (m = /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(path)))
      return lfsBatch(c, m[1]);
    if (method === 'PUT' && (m = /^\/__lfs\/([0-9a-f]{64})$/.exec(path))) return lfsUpload(c, m[1]);
    if (method === 'POST' && (m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/([^/]+)$/.exec(path)))
      return commit(c, m[1], m[2]);
    if ((method === 'GET' || method === 'HEAD') && (m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)))
      return resolveFile(c, m[1], m[3]);
    c.reply(404, { error: `no route ${method} ${path}` });
  }

  function whoami(c: Ctx): void {
    const who = caller(c.req);
    if (!who) return badToken(c); // whoami needs a token: none is the same 401
    c.reply(200, {
      type: 'user',
      id: sha1(who.name).slice(0, 24),
      name: who.name,
      fullname: who.name,
      email: `${who.name}@example.com`,
      emailVerified: true,
      isPro: false,
      canPay: false,
      avatarUrl: '',
      periodEnd: null,
      billingMode: 'prepaid',
      orgs: (who.orgs ?? []).map((o) => ({ type: 'org', id: sha1(o).slice(0, 24), name: o, fullname: o })),
      auth: {
        type: 'access_token',
        accessToken: { displayName: 'textclf-test', role: who.role ?? 'write', createdAt: '2025-01-01T00:00:00.000Z' },
      },
    });
  }

  function create(c: Ctx): void {
    const who = caller(c.req);
    if (who === null || !who) return badToken(c);
    const body = JSON.parse(c.body.toString('utf8')) as {
      name?: string;
      organization?: string;
      type?: string;
      visibility?: string;
      private?: boolean;
    };
    if ((body.type ?? 'model') !== 'model') return c.reply(400, { error: 'this fake holds model repos only' });
    const namespace = body.organization ?? who.name;
    if (!body.name || !REPO_NAME.test(body.name) || /--|\.\./.test(body.name) || body.name.length > 96)
      return c.reply(400, { error: `Invalid repo name '${body.name}'` });
    if (!mayWrite(who, namespace))
      return c.reply(403, {
        error:
          (who.role ?? 'write') === 'read'
            ? 'You must use a token with write access to create a repository'
            : `You don't have the rights to create a model under the namespace "${namespace}"`,
      });
    const id = `${namespace}/${body.name}`;
    if (repos.has(id)) return c.reply(409, { error: 'You already created this model repo', url: `${base}${id}` });
    addRepo(id, { private: body.visibility === 'private' || body.private === true });
    c.reply(200, { url: `${base}${id}`, name: id, id: sha1(id).slice(0, 24) });
  }

  function isLfsPath(repo: FakeRepo, path: string, gitAttributes?: string): boolean {
    const attrs = gitAttributes ?? repo.files.get('.gitattributes')?.toString('utf8') ?? '';
    return attrs
      .split('\n')
      .filter((l) => /filter=lfs/.test(l))
      .map((l) => l.split(/\s+/)[0])
      .some((pattern) => globMatch(pattern, path));
  }

  function preupload(c: Ctx, id: string): void {
    const repo = repoFor(c, id, 'write');
    if (!repo) return;
    const body = JSON.parse(c.body.toString('utf8')) as {
      gitAttributes?: string;
      files: { path: string; size: number; sample: string }[];
    };
    c.reply(200, {
      files: body.files.map((f) => {
        const sample = Buffer.from(f.sample, 'base64');
        const lfs = isLfsPath(repo, f.path, body.gitAttributes) || f.size >= LFS_SIZE || sample.includes(0);
        return { path: f.path, uploadMode: lfs ? 'lfs' : 'regular', shouldIgnore: false };
      }),
      commitOid: repo.commits.at(-1)!.oid,
    });
  }

  function lfsBatch(c: Ctx, id: string): void {
    if (!/application\/vnd\.git-lfs\+json/.test(String(c.req.headers.accept)))
      return c.reply(406, { message: 'Accept: application/vnd.git-lfs+json required' });
    const repo = repoFor(c, id, 'write');
    if (!repo) return;
    const body = JSON.parse(c.body.toString('utf8')) as {
      operation: string;
      transfers?: string[];
      objects: { oid: string; size: number }[];
    };
    if (body.operation !== 'upload') return c.reply(422, { message: 'only uploads here' });
    if (body.transfers && !body.transfers.includes('basic'))
      return c.reply(422, { message: 'this server offers the basic transfer only' });
    // A non-Xet Hub: "basic" transfer with presigned PUT URLs; an object already stored needs no upload.
    c.reply(
      200,
      {
        transfer: 'basic',
        objects: body.objects.map((o) => ({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          ...(lfsObjects.has(o.oid)
            ? {}
            : {
                actions: {
                  upload: {
                    href: `${base}__lfs/${o.oid}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${randomBytes(16).toString('hex')}&size=${o.size}`,
                    expires_in: 86_400,
                  },
                },
              }),
        })),
      },
      { 'content-type': 'application/vnd.git-lfs+json' },
    );
  }

  function lfsUpload(c: Ctx, oid: string): void {
    // Storage checks its own signature, never the Hub token.
    if (!c.url.searchParams.get('X-Amz-Signature')) return c.reply(403, Buffer.from('<Error>AccessDenied</Error>'));
    const want = Number(c.url.searchParams.get('size'));
    if (c.body.length !== want)
      return c.reply(400, Buffer.from(`<Error>IncompleteBody: ${c.body.length} of ${want} bytes</Error>`));
    if (createHash('sha256').update(c.body).digest('hex') !== oid)
      return c.reply(400, Buffer.from('<Error>BadDigest</Error>'));
    lfsObjects.set(oid, c.body);
    c.reply(200, Buffer.alloc(0), { etag: `"${createHash('md5').update(c.body).digest('hex')}"` });
  }

  function commit(c: Ctx, id: string, revision: string): void {
    const repo = repoFor(c, id, 'write');
    if (!repo) return;
    if (revision !== 'main')
      return c.reply(404, { error: `Invalid rev id: ${revision}` }, { 'x-error-code': 'RevisionNotFound' });
    const lines = c.body
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
    const header = lines.find((l) => l.key === 'header')?.value as { summary?: string; description?: string };
    if (!header?.summary) return c.reply(400, { error: 'A commit needs a header with a summary' });
    // Checked in full first: a rejected commit changes nothing.
    const changes: { path: string; bytes?: Buffer; lfs: boolean }[] = [];
    for (const { key, value } of lines) {
      const path = String(value.path ?? '');
      if (key === 'file') {
        const bytes = Buffer.from(String(value.content ?? ''), value.encoding === 'base64' ? 'base64' : 'utf8');
        if (bytes.includes(0) || isLfsPath(repo, path))
          return c.reply(400, {
            error: `Your push was rejected because it contains binary files (${path}). Please use LFS (https://hf.co/docs/hub/repositories-getting-started#terminal).`,
          });
        changes.push({ path, bytes, lfs: false });
      } else if (key === 'lfsFile') {
        const bytes = lfsObjects.get(String(value.oid));
        if (!bytes || bytes.length !== Number(value.size))
          return c.reply(400, {
            error: `Your push was rejected because an LFS pointer pointed to a file that does not exist (${path})`,
          });
        changes.push({ path, bytes, lfs: true });
      } else if (key === 'deletedFile') changes.push({ path, lfs: false });
      else if (key !== 'header') return c.reply(400, { error: `unknown commit operation ${key}` });
    }
    for (const ch of changes) {
      if (!ch.bytes) {
        repo.files.delete(ch.path);
        repo.lfs.delete(ch.path);
        continue;
      }
      repo.files.set(ch.path, ch.bytes);
      if (ch.lfs) repo.lfs.add(ch.path);
      else repo.lfs.delete(ch.path);
    }
    const oid = sha1(`${id} ${repo.commits.length} ${header.summary}`);
    repo.commits.push({
      oid,
      title: header.summary,
      description: header.description,
      paths: changes.map((x) => x.path),
      files: new Map(changes.map((x) => [x.path, x.bytes])),
    });
    c.reply(200, { success: true, commitOid: oid, commitUrl: `${base}${id}/commit/${oid}`, hookOutput: '' });
  }

  function resolveFile(c: Ctx, id: string, file: string): void {
    const repo = repoFor(c, id, 'read');
    if (!repo) return;
    const bytes = repo.files.get(file);
    if (!bytes) return c.reply(404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
    c.reply(200, c.method === 'HEAD' ? Buffer.alloc(0) : bytes, { etag: `"${sha1(bytes)}"` });
  }

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    repos,
    lfsObjects,
    requests,
    addRepo,
    fail: (f) => faults.push({ ...f, seen: 0, used: 0 }),
    stall: (method, path) => {
      const s = { method, path, held: new Set<ServerResponse>() };
      stalls.push(s);
      return () => {
        stalls.splice(stalls.indexOf(s), 1);
        for (const r of s.held) r.destroy();
      };
    },
    close: () =>
      new Promise((ok) => {
        for (const s of stalls) for (const r of s.held) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', String(Buffer.byteLength(text)));
  res.end(text);
}

const ns = (id: string) => id.split('/')[0];
const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');

/** .gitattributes patterns as git reads them: without a slash a pattern matches the file's name at any depth. */
function globMatch(pattern: string, path: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
  );
  return pattern.includes('/') ? re.test(path) : re.test(path.split('/').pop()!);
}
