// Faults of a datastore download against a real server on 127.0.0.1: a server that never answers
// or stops mid-body fails within download_timeout with a message naming the (redacted) URL and the
// timeout; the run's AbortSignal ends a download (or a retry wait) within moments; long downloads
// report progress; URL credentials are sent as Basic auth and never follow a redirect to another
// origin; archives are extracted in-process (no unzip/tar on PATH). Every failure leaves the cache
// as it was, with no staging folder.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDatastore, DatastoreError, type ResolveOptions } from '../../src/datastore/index.js';
import { CancelledError } from '../../src/util/cancel.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import { makeZip } from '../helpers/zip.js';
import { imdbFiles, makeTarGz } from './fixtures.js';

let work: string;
let server: TestServer;
let other: TestServer;
const lines: string[] = [];
const log = {
  info: (m: string) => lines.push(m),
  notice: (m: string) => lines.push(m),
  warning: (m: string) => lines.push(m),
};
let zip: Buffer;

beforeAll(async () => {
  zip = makeZip(imdbFiles());
  other = await startDatastoreServer({ '/elsewhere.zip': { body: zip } });
  server = await startDatastoreServer({
    '/stall.zip': { stall: 'headers' },
    '/stall-body.zip': { body: zip, stall: 'body' },
    '/down.zip': { status: 503, body: 'busy' },
    '/slow.zip': {
      body: makeZip([...imdbFiles(), { name: 'imdb/noise.bin', data: randomBytes(300_000) }]),
      delayMs: 120,
    },
    '/private.zip': { body: zip, requireAuth: `Basic ${Buffer.from('alice:pa:ss@1').toString('base64')}` },
    '/away.zip': { redirectTo: other.url('/elsewhere.zip') },
    '/imdb.zip': { body: zip },
    '/imdb.tar.gz': { body: await makeTarGz(imdbFiles()) },
    '/trickle.zip': { body: zip, trickleMs: 50 },
  });
});
afterAll(async () => {
  await server.close();
  await other.close();
});
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'textclf-faults-'));
  lines.length = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const cacheDir = () => join(work, 'cache');
const opts = (source: string, extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
  source,
  cacheDir: cacheDir(),
  log,
  retry: { minSeconds: 0, maxSeconds: 0 },
  ...extra,
});
/** Every path under the cache folder (staging folders and locks included). */
const snapshot = () =>
  existsSync(cacheDir()) ? (readdirSync(cacheDir(), { recursive: true }) as string[]).map(String).sort() : [];

async function failure(o: ResolveOptions): Promise<{ err: Error; seconds: number }> {
  const t0 = Date.now();
  const err = await resolveDatastore(o).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  return { err, seconds: (Date.now() - t0) / 1000 };
}

test('a server that accepts and never answers fails after download_timeout, once, naming the URL and the timeout', async () => {
  const url = server.url('/stall.zip').replace('http://', 'http://bob:hunter22@') + '?X-Amz-Signature=f00dfeed';
  const before = server.count('/stall.zip');
  const { err, seconds } = await failure(opts(url, { downloadTimeoutMs: 700 }));
  expect(err).toBeInstanceOf(DatastoreError);
  expect(err.message).toMatch(
    /^Downloading http:\/\/\*\*\*@127\.0\.0\.1:\d+\/stall\.zip\?X-Amz-Signature=\*\*\* timed out: the server accepted the connection but sent no answer for 0\.7 s, the download_timeout\. Fix: .*raise download_timeout/,
  );
  expect(err.message).not.toMatch(/hunter22|f00dfeed|bob/);
  expect(seconds).toBeGreaterThanOrEqual(0.6);
  expect(seconds).toBeLessThan(5);
  expect(server.count('/stall.zip') - before).toBe(1); // not retried: it would stall again
  expect(snapshot()).toEqual([]);
});

test('a body that stops arriving is retried (data came before), then fails naming the stall', async () => {
  const before = server.count('/stall-body.zip');
  const { err, seconds } = await failure(opts(server.url('/stall-body.zip'), { downloadTimeoutMs: 400 }));
  expect(err.message).toMatch(
    /timed out: the download stalled \(no data\) for 0\.4 s after \d+(\.\d)? (B|KiB) \(3 attempts\), the download_timeout/,
  );
  expect(server.count('/stall-body.zip') - before).toBe(3);
  expect(seconds).toBeLessThan(6);
  expect(snapshot()).toEqual([]);
});

test('a mid-file stall fails within download_time_limit, retries included, and each retry is logged', async () => {
  const before = server.count('/stall-body.zip');
  const { err, seconds } = await failure(
    opts(server.url('/stall-body.zip'), { downloadTimeoutMs: 400, downloadTimeLimitMs: 1000 }),
  );
  expect(err).toBeInstanceOf(DatastoreError);
  expect(err.message).toMatch(
    /^Downloading http:\/\/127\.0\.0\.1:\d+\/stall-body\.zip did not finish within 1 s, the download_time_limit \(3 attempts; last: the time limit passed after \d+(\.\d)? (B|KiB) of this attempt\)\. Fix: .*raise download_time_limit/,
  );
  expect(seconds).toBeGreaterThanOrEqual(0.95);
  expect(seconds).toBeLessThan(1.5); // the limit, not 3 attempts of download_timeout plus backoff
  expect(server.count('/stall-body.zip') - before).toBe(3);
  const retries = lines.filter((l) => l.startsWith('Download of '));
  expect(retries).toHaveLength(2);
  expect(retries[0]).toMatch(
    /failed \(the download stalled \(no data\) for 0\.4 s after \d+(\.\d)? (B|KiB)\); attempt 2 of 3 in 0 s \(\ds of the time limit left\)$/,
  );
  expect(retries[1]).toMatch(/; attempt 3 of 3 in 0 s/);
  expect(snapshot()).toEqual([]);
});

test('a server that trickles (never silent for download_timeout) is ended by the time limit', async () => {
  const { err, seconds } = await failure(
    opts(server.url('/trickle.zip'), { downloadTimeoutMs: 400, downloadTimeLimitMs: 800 }),
  );
  expect(err.message).toMatch(/trickle\.zip did not finish within 0\.8 s, the download_time_limit \(1 attempt; /);
  expect(seconds).toBeLessThan(1.3);
  expect(snapshot()).toEqual([]);
});

test('a retry the time limit leaves no room for is not waited for', async () => {
  const t0 = Date.now();
  const { err } = await failure(
    opts(server.url('/down.zip'), { retry: { minSeconds: 5, maxSeconds: 5 }, downloadTimeLimitMs: 2000 }),
  );
  expect((Date.now() - t0) / 1000).toBeLessThan(1);
  expect(err.message).toMatch(/did not finish within 2 s, the download_time_limit \(1 attempt; last: HTTP 503\)/);
  expect(lines.join('\n')).toMatch(/failed \(HTTP 503\); no attempt 2: the time limit leaves 1\.\d+ s/);
});

test('the default timeout is 30 s: a stalled server fails well within 90 s', async () => {
  const { err, seconds } = await failure(opts(server.url('/stall.zip')));
  expect(err.message).toMatch(/sent no answer for 30 s, the download_timeout/);
  expect(seconds).toBeGreaterThanOrEqual(29.5);
  expect(seconds).toBeLessThan(40);
}, 60_000);

test('aborting the run ends a stalled download within moments and leaves no staging folder', async () => {
  const controller = new AbortController();
  const t0 = Date.now();
  const pending = resolveDatastore(opts(server.url('/stall.zip'), { signal: controller.signal }));
  await new Promise((r) => setTimeout(r, 500));
  expect(snapshot()).toEqual(expect.arrayContaining([expect.stringMatching(/^datastores\/\.staging-/)])); // mid-download
  const open = server.openConnections();
  expect(open).toBeGreaterThanOrEqual(1);
  controller.abort();
  const err = await pending.then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  const seconds = (Date.now() - t0) / 1000;
  expect(err).toBeInstanceOf(CancelledError);
  expect(err.message).toMatch(/^cancelled while downloading http:\/\/127\.0\.0\.1:\d+\/stall\.zip$/);
  expect(seconds).toBeLessThan(2);
  expect(snapshot()).toEqual([]);
  await new Promise((r) => setTimeout(r, 100));
  expect(server.openConnections()).toBe(open - 1); // the socket was closed, not left hanging
});

test('aborting during the wait between attempts ends it at once', async () => {
  const controller = new AbortController();
  const t0 = Date.now();
  const pending = resolveDatastore(
    opts(server.url('/down.zip'), { signal: controller.signal, retry: { minSeconds: 30, maxSeconds: 30 } }),
  );
  await new Promise((r) => setTimeout(r, 300));
  expect(lines.join('\n')).toMatch(/failed \(HTTP 503\); attempt 2 of 3 in 30 s/);
  controller.abort();
  await expect(pending).rejects.toBeInstanceOf(CancelledError);
  expect((Date.now() - t0) / 1000).toBeLessThan(2);
  expect(snapshot()).toEqual([]);
});

test('an already aborted signal downloads nothing', async () => {
  const controller = new AbortController();
  controller.abort();
  const before = server.count('/imdb.zip');
  await expect(resolveDatastore(opts(server.url('/imdb.zip'), { signal: controller.signal }))).rejects.toBeInstanceOf(
    CancelledError,
  );
  expect(server.count('/imdb.zip')).toBe(before);
  expect(snapshot()).toEqual([]);
});

test('a long download reports its progress; a short one prints no progress line', async () => {
  await resolveDatastore(opts(server.url('/slow.zip'), { progressIntervalMs: 50 }));
  const progress = lines.filter((l) => l.startsWith('Downloading '));
  expect(progress.length).toBeGreaterThanOrEqual(1);
  expect(progress[0]).toMatch(
    /^Downloading http:\/\/127\.0\.0\.1:\d+\/slow\.zip: \d+\.\d KiB of \d+\.\d KiB \(\d+%\), \d+(\.\d)? (B|KiB|MiB)\/s$/,
  );
  expect(lines.some((l) => /^Downloaded http:\/\/127\.0\.0\.1:\d+\/slow\.zip: \d+\.\d KiB in \d+s$/.test(l))).toBe(
    true,
  );
  lines.length = 0;
  await resolveDatastore(opts(server.url('/imdb.zip')));
  expect(lines.filter((l) => /^Download(ing|ed) /.test(l))).toEqual([]);
});

test('user:password@ in the URL is sent as Basic auth, and is not sent after a redirect to another origin', async () => {
  const url = server.url('/private.zip').replace('http://', 'http://alice:pa%3Ass%401@');
  const r = await resolveDatastore(opts(url));
  expect(readdirSync(r.root)).toContain('imdb');
  const seen = server.requests.filter((q) => q.path === '/private.zip');
  expect(seen.at(-1)).toMatchObject({ status: 200 });

  // Without credentials the same file is refused (so the header above is what let it through).
  const { err } = await failure(opts(server.url('/private.zip'), { cacheDir: join(work, 'cache2') }));
  expect(err.message).toMatch(/HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/private\.zip: access denied/);

  const away = server.url('/away.zip').replace('http://', 'http://alice:s3cret@');
  await resolveDatastore(opts(away, { cacheDir: join(work, 'cache3') }));
  const first = server.requests.filter((q) => q.path === '/away.zip').at(-1)!;
  const second = other.requests.filter((q) => q.path === '/elsewhere.zip').at(-1)!;
  expect(first.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  expect(second.status).toBe(200);
  expect(second.headers.authorization).toBeUndefined();
});

test('zip and tar.gz datastores extract with no unzip or tar on PATH', async () => {
  const path = process.env.PATH;
  const empty = mkdtempSync(join(tmpdir(), 'textclf-nopath-'));
  process.env.PATH = empty;
  try {
    for (const name of ['/imdb.zip', '/imdb.tar.gz']) {
      const r = await resolveDatastore(opts(server.url(name)));
      expect(readFileSync(join(r.root, 'imdb', 'train.csv'), 'utf8')).toBe(
        String(imdbFiles().find((f) => f.name === 'imdb/train.csv')!.data),
      );
    }
  } finally {
    process.env.PATH = path;
    rmSync(empty, { recursive: true, force: true });
  }
});
