// The push client against the fake Hub: a stalled Hub or storage fails within hub_timeout with a
// clear error, a cancel stops a push at once, a storage failure's message carries no presigned
// signature, the token never leaves the Hub's origin (other credentials pass), and an existing
// public repo is refused when a private one was asked for.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commitFiles, ensureRepo, tokenOwner, type HubConnection } from '../../src/hub/client.js';
import { HubPushError, HubTimeoutError } from '../../src/hub/errors.js';
import { hubFetch } from '../../src/hub/fetch.js';
import { CancelledError } from '../../src/util/cancel.js';
import { startHubApiFake, type HubApiFake } from '../helpers/hub-api-fake.js';

const TOKEN = 'hf_carolWriteToken0123456789abcdef';
let hub: HubApiFake;
beforeAll(async () => {
  hub = await startHubApiFake([
    { name: 'carol', token: TOKEN },
    { name: 'dave', token: 'hf_daveReadToken0123456789abcdef', role: 'read' },
  ]);
});
afterAll(() => hub.close());

const conn = (o: { timeoutMs?: number; signal?: AbortSignal; token?: string } = {}): HubConnection => {
  const hubUrl = hub.url.replace(/\/$/, '');
  const token = o.token ?? TOKEN;
  return {
    hubUrl,
    token,
    fetch: hubFetch({ origin: new URL(hubUrl).origin, token, timeoutMs: o.timeoutMs ?? 0, signal: o.signal }),
  };
};
const weights = { path: 'model.safetensors', content: 'binary\u0000weights' };

test('a Hub that stops answering fails within hub_timeout, naming the request and the flag', async () => {
  hub.addRepo('carol/stalled');
  const release = hub.stall('POST', /^\/api\/models\/carol\/stalled\/preupload\//);
  const t0 = Date.now();
  const err = await commitFiles(conn({ timeoutMs: 300 }), 'carol/stalled', [weights], 'x').catch((e: Error) => e);
  release();
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(err).toBeInstanceOf(HubTimeoutError);
  expect((err as HubTimeoutError).flag).toBe('hub_timeout');
  expect((err as Error).message).toMatch(
    /^committing 1 file to carol\/stalled: no progress for 0.3 s on POST http:\/\/127\.0\.0\.1:\d+\/api\/models\/carol\/stalled\/preupload\/main: .*raise hub_timeout/,
  );
});

test('storage that stalls mid-upload times out too, and no message shows the presigned signature', async () => {
  hub.addRepo('carol/slow-storage');
  const release = hub.stall('PUT', /^\/__lfs\//);
  const err = (await commitFiles(conn({ timeoutMs: 300 }), 'carol/slow-storage', [weights], 'x').catch(
    (e) => e,
  )) as Error;
  release();
  expect(err).toBeInstanceOf(HubTimeoutError);
  expect(err.message).toMatch(/no progress for 0.3 s on PUT http:\/\/127\.0\.0\.1:\d+\/__lfs\/[0-9a-f]{64}:/);
  expect(err.message).not.toMatch(/Signature/);
  expect([...hub.repos.get('carol/slow-storage')!.files.keys()]).toEqual(['.gitattributes']);
});

test('a storage failure (500 on the PUT) is a HubPushError without the signature; nothing lands', async () => {
  hub.addRepo('carol/broken-storage');
  hub.fail({ method: 'PUT', path: /^\/__lfs\//, status: 500 });
  const err = (await commitFiles(conn(), 'carol/broken-storage', [weights], 'x').catch((e) => e)) as Error;
  expect(err).toBeInstanceOf(HubPushError);
  expect(err.message).toContain('committing 1 file to carol/broken-storage: the Hub failed (HTTP 500');
  const signatures = hub.requests.filter((r) => r.method === 'PUT').length;
  expect(signatures).toBeGreaterThan(0);
  expect(err.message).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
  expect(hub.repos.get('carol/broken-storage')!.commits).toHaveLength(1);
});

test("the run's cancel stops a push in flight at once", async () => {
  hub.addRepo('carol/cancelled');
  const release = hub.stall('POST', /^\/api\/models\/carol\/cancelled\/commit\//);
  const ctl = new AbortController();
  const pushing = commitFiles(conn({ signal: ctl.signal }), 'carol/cancelled', [weights], 'x').catch((e) => e);
  while (!hub.requests.some((r) => r.path === '/api/models/carol/cancelled/commit/main'))
    await new Promise((r) => setImmediate(r));
  const t0 = Date.now();
  ctl.abort();
  const err = await pushing;
  release();
  expect(err).toBeInstanceOf(CancelledError);
  expect(Date.now() - t0).toBeLessThan(1000);
});

test('the Hub token goes to the Hub origin only; other credentials (a Xet storage token) pass through', async () => {
  const seen: (string | undefined)[] = [];
  const other = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.end('ok');
  });
  await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
  const at = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x`;
  const f = conn().fetch;
  await (await f(at, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
  await (await f(at, { headers: { Authorization: 'Bearer xet-cas-token' } })).text();
  other.close();
  expect(seen).toEqual([undefined, 'Bearer xet-cas-token']);
  // and the Hub's own origin gets it
  const me = await tokenOwner(conn());
  expect(me).toEqual({ name: 'carol', canWrite: true });
  expect(hub.requests.at(-1)!.authorization).toBe(`Bearer ${TOKEN}`);
});

test('ensureRepo: creates (private when asked), accepts an existing repo, refuses to publish into a public one', async () => {
  expect(await ensureRepo(conn(), 'carol/new-private', { private: true })).toBe('created');
  expect(hub.repos.get('carol/new-private')!.private).toBe(true);
  expect(await ensureRepo(conn(), 'carol/new-private', { private: true })).toBe('exists'); // 409, then private: fine
  hub.addRepo('carol/public-one');
  expect(await ensureRepo(conn(), 'carol/public-one', { private: false })).toBe('exists');
  const err = (await ensureRepo(conn(), 'carol/public-one', { private: true }).catch((e) => e)) as HubPushError;
  expect(err.flag).toBe('hub_private_repo');
  expect(err.message).toContain('carol/public-one already exists and is public: pushing would publish the model');
  // a read token: whoami says so, and the Hub refuses to create
  expect(await tokenOwner(conn({ token: 'hf_daveReadToken0123456789abcdef' }))).toEqual({
    name: 'dave',
    canWrite: false,
  });
});

test('a Hub that cannot be reached: the error names the host and what to check', async () => {
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((ok) => closed.close(() => ok()));
  const c: HubConnection = {
    hubUrl: url,
    token: TOKEN,
    fetch: hubFetch({ origin: url, token: TOKEN, timeoutMs: 1000 }),
  };
  await expect(tokenOwner(c)).rejects.toThrow(
    `checking the token at ${url}/api/whoami-v2: fetch failed (ECONNREFUSED). Check hub_url / HF_ENDPOINT and the network`,
  );
});
