// datastore_refresh against a real HTTP server on 127.0.0.1 that keeps validators (ETag,
// Last-Modified), answers conditional requests with 304, and changes its content between runs:
// unchanged -> one HEAD and no GET; changed -> download and a new cache version; same bytes under
// a new ETag, or no validators at all -> download, sha256 compare, no new version.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatastoreError, resolveDatastore, type ResolveOptions } from '../../src/datastore/index.js';
import { readStamp } from '../../src/datastore/source-stamp.js';
import { startDatastoreServer, type Route, type TestServer } from '../helpers/datastore-server.js';
import { imdbFiles } from './fixtures.js';
import { makeZip } from '../helpers/zip.js';

const fast = { minSeconds: 0, maxSeconds: 0 };
const v1 = makeZip(imdbFiles());
const v2 = makeZip(
  imdbFiles().map((e) => (e.name === 'imdb/train.csv' ? { ...e, data: 'review,sentiment\nNew rows,positive\n' } : e)),
);
const routes: Record<string, Route> = {};
let server: TestServer;
let work: string;

beforeAll(async () => {
  server = await startDatastoreServer(routes);
});
afterAll(() => server.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'textclf-refresh-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const cache = () => join(work, 'cache', 'datastores');
/** Completed versions cached under `name`. */
const versions = (name: string) =>
  existsSync(join(cache(), name))
    ? readdirSync(join(cache(), name))
        .filter(
          (v) => existsSync(join(cache(), name, `${v}/any`)) && existsSync(join(cache(), name, `${v}/any.complete`)),
        )
        .sort()
    : [];
/** Method + status of every request to `path` since `from`. */
const seen = (path: string, from: number) =>
  server.requests
    .slice(from)
    .filter((r) => r.path === path.split('?')[0])
    .map((r) => `${r.method} ${r.status}`);

function run(path: string, extra: Partial<ResolveOptions> = {}) {
  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(m),
    notice: (m: string) => lines.push(`notice: ${m}`),
    warning: (m: string) => lines.push(`warning: ${m}`),
  };
  const from = server.requests.length;
  return resolveDatastore({
    source: server.url(path),
    cacheDir: join(work, 'cache'),
    log,
    retry: fast,
    refresh: true,
    ...extra,
  }).then((r) => ({ r, lines, requests: seen(path, from) }));
}

test('ETag: unchanged -> one conditional HEAD, no GET; changed -> new version; same bytes under a new ETag -> no new version', async () => {
  routes['/etag.zip'] = { body: v1, etag: '"v1"' };
  const first = await run('/etag.zip');
  expect(first.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(first.r).toMatchObject({
    name: 'etag',
    fromCache: false,
    refresh: { changed: true, downloaded: true, reason: 'no cached copy of this URL' },
  });
  expect(versions('etag')).toHaveLength(1);

  const second = await run('/etag.zip');
  expect(second.requests).toEqual(['HEAD 304']);
  expect(server.requests.filter((r) => r.path === '/etag.zip').at(-1)!.headers['if-none-match']).toBe('"v1"');
  expect(second.r).toEqual({
    ...first.r,
    fromCache: true,
    refresh: { changed: false, downloaded: false, reason: 'the server answered 304 Not Modified' },
  });
  expect(second.lines.join('\n')).toContain('(no download)');

  // The source changes: new ETag and new bytes.
  Object.assign(routes['/etag.zip']!, { body: v2, etag: '"v2"' });
  const third = await run('/etag.zip');
  expect(third.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(third.r.refresh).toEqual({ changed: true, downloaded: true, reason: 'ETag changed ("v1" → "v2")' });
  expect(third.r.root).not.toBe(first.r.root);
  expect(third.r.version).not.toBe(first.r.version);
  expect(readFileSync(join(third.r.root, 'imdb', 'train.csv'), 'utf8')).toContain('New rows');
  expect(readFileSync(join(first.r.root, 'imdb', 'train.csv'), 'utf8')).toContain('A ""great"" film'); // the old entry is untouched
  expect(versions('etag')).toHaveLength(2);
  expect(third.lines.join('\n')).toMatch(
    /notice: Datastore http:\/\/127\.0\.0\.1:\d+\/etag\.zip changed \(ETag changed/,
  );

  // Re-uploaded with identical bytes: new ETag, same sha256 -> the cached entry stays, the stamp learns the ETag.
  routes['/etag.zip']!.etag = '"v2-reupload"';
  const fourth = await run('/etag.zip');
  expect(fourth.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(fourth.r).toEqual({
    ...third.r,
    fromCache: true,
    refresh: { changed: false, downloaded: true, reason: 'ETag changed ("v2" → "v2-reupload")' },
  });
  expect(versions('etag')).toHaveLength(2);
  const fifth = await run('/etag.zip');
  expect(fifth.requests).toEqual(['HEAD 304']);
  expect(fifth.r.root).toBe(third.r.root);

  // A run without refresh uses the copy the last check recorded (the new content), with no request at all.
  const plain = await run('/etag.zip', { refresh: false });
  expect(plain.requests).toEqual([]);
  expect(plain.r).toMatchObject({ root: third.r.root, fromCache: true });
  expect(plain.r.refresh).toBeUndefined();
});

test('Last-Modified only: If-Modified-Since gets 304; a newer date re-downloads', async () => {
  routes['/dated.zip'] = { body: v1, lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };
  const first = await run('/dated.zip');
  const second = await run('/dated.zip');
  expect(second.requests).toEqual(['HEAD 304']);
  expect(server.requests.filter((r) => r.path === '/dated.zip').at(-1)!.headers['if-modified-since']).toBe(
    'Tue, 24 Nov 2026 10:00:00 GMT',
  );
  expect(second.r.root).toBe(first.r.root);
  Object.assign(routes['/dated.zip']!, { body: v2, lastModified: 'Wed, 25 Nov 2026 10:00:00 GMT' });
  const third = await run('/dated.zip');
  expect(third.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(third.r.refresh!.changed).toBe(true);
  expect(versions('dated')).toHaveLength(2);
});

test('no validators: every check downloads and compares sha256; same bytes keep the version, new bytes add one', async () => {
  routes['/plain.zip'] = { body: v1 };
  const first = await run('/plain.zip');
  expect(first.requests).toEqual(['HEAD 200', 'GET 200']);
  const stamp = await readStamp(join(cache(), '.sources', readdirSync(join(cache(), '.sources'))[0]!));
  expect(stamp).toMatchObject({
    url: server.url('/plain.zip'),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    contentLength: v1.length,
  });
  expect(stamp!.etag).toBeUndefined();

  const second = await run('/plain.zip');
  expect(second.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(second.r).toEqual({
    ...first.r,
    fromCache: true,
    refresh: { changed: false, downloaded: true, reason: 'the cached copy has no ETag or Last-Modified to check' },
  });
  expect(versions('plain')).toHaveLength(1);

  routes['/plain.zip']!.body = v2;
  const third = await run('/plain.zip');
  expect(third.requests).toEqual(['HEAD 200', 'GET 200']);
  expect(third.r.refresh!.changed).toBe(true);
  expect(versions('plain')).toHaveLength(2);
  expect(readFileSync(join(third.r.root, 'imdb', 'train.csv'), 'utf8')).toContain('New rows');
});

test('a server that refuses HEAD: download and compare; a copy cached without refresh is the one compared with', async () => {
  routes['/nohead.zip'] = { body: v1, etag: '"x"', noHead: true };
  const plain = await run('/nohead.zip', { refresh: false });
  expect(plain.requests).toEqual(['GET 200']);
  const checked = await run('/nohead.zip');
  expect(checked.requests).toEqual(['HEAD 405', 'GET 200']);
  expect(checked.r).toMatchObject({
    root: plain.r.root,
    version: plain.r.version,
    fromCache: true,
    refresh: { changed: false, downloaded: true },
  });
  expect(versions('nohead')).toHaveLength(1);
  // The stamp has no validators (HEAD gave none), so the next check downloads again rather than trusting it.
  const again = await run('/nohead.zip');
  expect(again.requests).toEqual(['HEAD 405', 'GET 200']);
});

test('datastore_version or datastore_sha256 pin the content: no check', async () => {
  routes['/pinned.zip'] = { body: v1, etag: '"p"' };
  const a = await run('/pinned.zip', { version: '7' });
  const b = await run('/pinned.zip', { version: '7' });
  expect([a.requests, b.requests]).toEqual([['GET 200'], []]);
  expect(b.lines.join('\n')).toContain('pinned by datastore_version');
});

test('a changed source that fails its checks leaves the cache and the stamp as they were', async () => {
  routes['/bad.zip'] = { body: v1, etag: '"ok"' };
  const good = await run('/bad.zip');
  const stampDir = join(cache(), '.sources', readdirSync(join(cache(), '.sources'))[0]!);
  const before = await readStamp(stampDir);
  Object.assign(routes['/bad.zip']!, {
    body: '<!DOCTYPE html><html>maintenance</html>',
    etag: '"broken"',
    contentType: 'text/html',
  });
  await expect(run('/bad.zip')).rejects.toThrow(DatastoreError);
  expect(await readStamp(stampDir)).toEqual(before);
  expect(versions('bad')).toHaveLength(1);
  expect(readdirSync(cache()).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  // Fixed upstream with the old bytes again: same sha256, the cached entry is reused.
  Object.assign(routes['/bad.zip']!, { body: v1, etag: '"fixed"', contentType: undefined });
  const fixed = await run('/bad.zip');
  expect(fixed.r).toMatchObject({ root: good.r.root, refresh: { changed: false, downloaded: true } });
});

test('a presigned query never reaches the stamp or the log', async () => {
  routes['/signed.zip'] = { body: v1, etag: '"s"' };
  const secret = 'X-Amz-Signature=0123456789abcdef0123456789abcdef';
  const first = await run(`/signed.zip?${secret}`);
  const second = await run(`/signed.zip?${secret}`);
  expect(second.requests).toEqual(['HEAD 304']);
  const dir = join(cache(), '.sources', readdirSync(join(cache(), '.sources'))[0]!);
  const stampText = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8');
  expect(JSON.parse(stampText).url).toBe(`${server.url('/signed.zip')}?X-Amz-Signature=***`);
  for (const text of [stampText, ...first.lines, ...second.lines]) expect(text).not.toContain('0123456789abcdef');
});

test('the test server honours validators as HTTP says (so the cases above mean something)', async () => {
  routes['/v.csv'] = { body: 'a,b\n', etag: 'W/"1"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' };
  const get = (h: Record<string, string>) => fetch(server.url('/v.csv'), { headers: h }).then((r) => r.status);
  expect(await get({ 'if-none-match': '"1"' })).toBe(304);
  expect(await get({ 'if-none-match': '"2"', 'if-modified-since': 'Wed, 25 Nov 2026 10:00:00 GMT' })).toBe(200);
  expect(await get({ 'if-modified-since': 'Wed, 25 Nov 2026 10:00:00 GMT' })).toBe(304);
  expect(await get({ 'if-modified-since': 'Mon, 23 Nov 2026 10:00:00 GMT' })).toBe(200);
});
