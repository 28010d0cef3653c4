// resolveDatastore end to end against a real HTTP server on 127.0.0.1: download, extract,
// cache, reuse without network, and each failure leaving the cache as it was.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  resolveDatastore,
  locateFile,
  DatastoreError,
  datastoreCacheRoot,
  type ResolveOptions,
} from '../../src/datastore/index.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import { imdbFiles, makeTarGz } from './fixtures.js';
import { makeZip } from '../helpers/zip.js';

const fast = { minSeconds: 0, maxSeconds: 0 };
let work: string;
let server: TestServer;
const notices: string[] = [];
const log = {
  info: () => {},
  notice: (m: string) => {
    notices.push(m);
  },
  warning: (m: string) => {
    notices.push(m);
  },
};
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let zip: Buffer;
let tgz: Buffer;
const csvBody = 'text,label\nhello,1\nworld,0\n';

beforeAll(async () => {
  zip = makeZip(imdbFiles());
  tgz = await makeTarGz(imdbFiles());
  server = await startDatastoreServer({
    '/imdb.zip': { body: zip },
    '/again.zip': { body: zip },
    '/imdb.tar.gz': { body: tgz },
    '/moved.tgz': { redirect: '/imdb.tar.gz' },
    '/files/download': { body: tgz },
    '/reviews.csv': { body: csvBody, contentType: 'text/csv' },
    '/flaky.zip': { body: zip, failFirst: 2 },
    '/cut.zip': { body: zip, truncateFirst: 1 },
    '/always-cut.zip': { body: zip, truncateFirst: 99 },
    '/slow.zip': { body: zip, delayMs: 150 },
    '/down.zip': { status: 500, failFirst: 99, body: zip },
    '/login.zip': { body: '<!DOCTYPE html><html><body>Sign in</body></html>', contentType: 'text/html' },
    '/corrupt.zip': { body: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]) },
    '/corrupt.tar.gz': { body: tgz.subarray(0, Math.floor(tgz.length / 2)) },
    '/empty.csv': { body: '' },
    '/slip.zip': {
      body: makeZip([
        { name: 'ok.csv', data: 'a' },
        { name: '../evil.txt', data: 'pwned' },
      ]),
    },
    '/abs.zip': { body: makeZip([{ name: '/tmp/textclf-evil-abs.txt', data: 'pwned' }]) },
    '/link.zip': { body: makeZip([{ name: 'data/' }, { name: 'data/train.csv', symlink: '/etc/passwd' }]) },
    '/slip.tar.gz': { body: await makeTarGz([{ name: 'a/../../evil.txt', data: 'pwned' }]) },
    '/link.tar.gz': { body: await makeTarGz([{ name: 'train.csv', symlink: '/etc/passwd' }]) },
    '/hard.tar.gz': { body: await makeTarGz([{ name: 'train.csv', hardlink: '/etc/passwd' }]) },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'textclf-ds-'));
  notices.length = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const opts = (source: string, extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
  source,
  cacheDir: join(work, 'cache'),
  log,
  retry: fast,
  ...extra,
});

/** Every path under the cache folder (empty when it does not exist). */
function snapshot(): string[] {
  const root = join(work, 'cache');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).map(String).sort();
}

async function expectFailure(o: ResolveOptions, pattern: RegExp): Promise<DatastoreError> {
  const before = snapshot();
  const err = await resolveDatastore(o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatastoreError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).toMatch(/Fix:|check the URL/);
  expect(snapshot()).toEqual(before);
  return err as DatastoreError;
}

test('a zip URL is downloaded, extracted and cached once; the second run makes no request', async () => {
  const first = await resolveDatastore(opts(server.url('/imdb.zip')));
  expect(first.fromCache).toBe(false);
  expect(first.name).toBe('imdb');
  expect(readFileSync(join(first.root, 'imdb', 'train.csv'), 'utf8')).toContain('A ""great"" film');
  expect(first.root.startsWith(datastoreCacheRoot(join(work, 'cache')))).toBe(true);

  const second = await resolveDatastore(opts(server.url('/imdb.zip')));
  expect(second).toEqual({ ...first, fromCache: true });
  expect(server.count('/imdb.zip')).toBe(1);

  // and by name, with no URL at all
  const byName = await resolveDatastore(opts('imdb'));
  expect(byName.root).toBe(first.root);
  expect(byName.fromCache).toBe(true);
  expect(server.count('/imdb.zip')).toBe(1);

  const train = await locateFile(first.root, 'train.csv', log);
  expect(train).toBe(join(first.root, 'imdb', 'train.csv'));
  expect(notices.join('\n')).toMatch(/one folder down, at 'imdb\/train\.csv'/);
  expect(await locateFile(first.root, '/opt/datastore/imdb/valid.csv', log)).toBe(
    join(first.root, 'imdb', 'valid.csv'),
  );
});

test('a tar.gz behind a redirect is extracted; an explicit version is found as name@version', async () => {
  const r = await resolveDatastore(opts(server.url('/moved.tgz'), { version: '2024-01' }));
  expect(r.version).toBe('2024-01');
  expect(r.name).toBe('moved');
  expect(readFileSync(join(r.root, 'imdb', 'test.csv'), 'utf8')).toMatch(/^review,sentiment\n/);
  expect(server.count('/moved.tgz')).toBe(1);
  expect(server.count('/imdb.tar.gz')).toBe(1);
  const again = await resolveDatastore(opts('moved@2024-01'));
  expect(again.root).toBe(r.root);
  await expect(resolveDatastore(opts('moved@2025-01'))).rejects.toThrow(/cached: moved@2024-01/);
});

test('every name@version the "not cached" error lists resolves to its entry (URL hashes, mapped versions, content versions)', async () => {
  const url = await resolveDatastore(opts(server.url('/imdb.zip'))); // cached under a hash of the URL
  const mapped = await resolveDatastore(opts(server.url('/again.zip'), { version: '1.0' })); // not semver
  writeFileSync(join(work, 'local.zip'), zip);
  const local = await resolveDatastore(opts(join(work, 'local.zip'))); // cached by content
  const err = await resolveDatastore(opts('imdb@nope')).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  const listed = /\(cached: ([^)]*)\)/.exec(err.message)![1].split(', ');
  expect(listed).toHaveLength(3);
  const roots = new Map([
    ['imdb', url.root],
    ['again', mapped.root],
    ['local', local.root],
  ]);
  for (const name of listed) {
    const r = await resolveDatastore(opts(name));
    expect(r.root).toBe(roots.get(name.split('@')[0]));
    expect(`${r.name}@${r.version}`).toBe(name);
  }
  expect((await resolveDatastore(opts('again@1.0'))).root).toBe(mapped.root); // as given, too
});

test('a URL without a telling suffix is recognised by its bytes', async () => {
  const r = await resolveDatastore(opts(server.url('/files/download')));
  expect(r.name).toBe('download');
  expect(readFileSync(join(r.root, 'imdb', 'train.csv'), 'utf8')).toMatch(/^review,sentiment\n/);
});

test('a single CSV URL becomes a datastore holding that file', async () => {
  const r = await resolveDatastore(opts(server.url('/reviews.csv')));
  expect(r.file).toBe('reviews.csv');
  expect(readFileSync(join(r.root, 'reviews.csv'), 'utf8')).toBe(csvBody);
  expect(await locateFile(r.root, 'reviews.csv', log)).toBe(join(r.root, 'reviews.csv'));
  expect((await resolveDatastore(opts(server.url('/reviews.csv')))).file).toBe('reviews.csv');
});

test('5xx twice then success, a cut-off body, and a slow server all end in a good cache entry', async () => {
  const flaky = await resolveDatastore(opts(server.url('/flaky.zip')));
  expect(server.count('/flaky.zip')).toBe(3);
  expect(existsSync(join(flaky.root, 'imdb', 'train.csv'))).toBe(true);
  const cut = await resolveDatastore(opts(server.url('/cut.zip')));
  expect(server.count('/cut.zip')).toBe(2);
  expect(readFileSync(join(cut.root, 'imdb', 'valid.csv'))).toEqual(Buffer.from(imdbFiles()[2]!.data as string));
  const slow = await resolveDatastore(opts(server.url('/slow.zip')));
  expect(existsSync(join(slow.root, 'imdb', 'test.csv'))).toBe(true);
});

test('sha256 is verified before extraction and checked against the cached record', async () => {
  const good = await resolveDatastore(opts(server.url('/again.zip'), { sha256: sha(zip).toUpperCase() }));
  expect(good.fromCache).toBe(false);
  const wrong = 'a'.repeat(64);
  await expectFailure(
    opts(server.url('/again.zip'), { sha256: wrong }),
    /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/again\.zip: expected a{64}, got [0-9a-f]{64}/,
  );
  // a pinned version hits the cache entry; its record must match too
  await resolveDatastore(opts(server.url('/again.zip'), { version: '1' }));
  await expectFailure(opts('again@1', { sha256: wrong }), /sha256 mismatch/);
  await expect(resolveDatastore(opts('again', { sha256: 'xyz' }))).rejects.toThrow(/not a sha256 \(64 hex digits\)/);
});

test('a URL with datastore_version found in the cache: datastore_sha256 is checked against its record, with no download', async () => {
  const url = server.url('/again.zip');
  await resolveDatastore(opts(url, { version: 'pinned' }));
  const downloads = server.count('/again.zip');
  await expectFailure(
    opts(url, { version: 'pinned', sha256: 'b'.repeat(64) }),
    new RegExp(`sha256 mismatch for ${url.replace(/[.]/g, '\\.')}: expected b{64}, got ${sha(zip)}`),
  );
  const hit = await resolveDatastore(opts(url, { version: 'pinned', sha256: sha(zip) }));
  expect(hit.fromCache).toBe(true);
  expect(server.count('/again.zip')).toBe(downloads);
});

test('HTTP 404 and a closed port fail at once; HTTP 500 fails after 3 attempts', async () => {
  await expectFailure(opts(server.url('/missing.zip')), /HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/missing\.zip/);
  expect(server.count('/missing.zip')).toBe(1);
  await expectFailure(opts(server.url('/down.zip')), /HTTP 500 from .*\/down\.zip after 3 attempts/);
  expect(server.count('/down.zip')).toBe(3);
  const closed = await startDatastoreServer({});
  const url = closed.url('/gone.zip');
  await closed.close();
  // A refused connection is not retried: with a 30 s backoff between attempts it still fails at once.
  const t0 = Date.now();
  await expectFailure(
    opts(url, { retry: { minSeconds: 30, maxSeconds: 30 } }),
    /^Could not download http:\/\/127\.0\.0\.1:\d+\/gone\.zip: connect ECONNREFUSED .*Fix: check the host name and port/,
  );
  expect(Date.now() - t0).toBeLessThan(2000);
});

test('a body cut off on every attempt leaves no cache entry and no staging files', async () => {
  await expectFailure(opts(server.url('/always-cut.zip')), /Could not download .*always-cut\.zip after 3 attempts/);
  expect(server.count('/always-cut.zip')).toBe(3);
  expect(snapshot()).toEqual([]);
});

test('HTML instead of a zip, corrupt archives and empty files are refused', async () => {
  await expectFailure(opts(server.url('/login.zip')), /returned an HTML page, not a zip file/);
  await expectFailure(opts(server.url('/corrupt.zip')), /corrupt\.zip is not a readable zip archive/);
  await expectFailure(opts(server.url('/corrupt.tar.gz')), /corrupt\.tar\.gz is not a readable tar\.gz archive/);
  await expectFailure(opts(server.url('/empty.csv')), /empty\.csv is empty \(0 bytes\)/);
});

test('entries escaping the target folder and links are refused before extraction', async () => {
  const outside = join(work, 'cache', 'datastores', 'evil.txt');
  await expectFailure(opts(server.url('/slip.zip')), /entry '\.\.\/evil\.txt' escapes the target folder/);
  await expectFailure(opts(server.url('/abs.zip')), /entry '\/tmp\/textclf-evil-abs\.txt' is an absolute path/);
  await expectFailure(opts(server.url('/link.zip')), /entry 'data\/train\.csv' is a symbolic link/);
  await expectFailure(opts(server.url('/slip.tar.gz')), /entry 'a\/\.\.\/\.\.\/evil\.txt' escapes/);
  await expectFailure(opts(server.url('/link.tar.gz')), /entry 'train\.csv' is a symbolic link/);
  await expectFailure(opts(server.url('/hard.tar.gz')), /entry 'train\.csv' is a hard link/);
  expect(existsSync(outside)).toBe(false);
  expect(existsSync('/tmp/textclf-evil-abs.txt')).toBe(false);
});

test('local folders and files are used in place; local archives are cached by content', async () => {
  const dir = join(work, 'data');
  mkdirSync(dir);
  writeFileSync(join(dir, 'train.csv'), csvBody);
  const d = await resolveDatastore(opts(dir));
  expect(d).toEqual({ root: dir, name: 'data', version: 'local', fromCache: false });
  const f = await resolveDatastore(opts(join(dir, 'train.csv'), { sha256: sha(csvBody) }));
  expect(f).toMatchObject({ root: dir, file: 'train.csv', fromCache: false });
  await expect(resolveDatastore(opts(join(dir, 'train.csv'), { sha256: '0'.repeat(64) }))).rejects.toThrow(
    /sha256 mismatch/,
  );
  writeFileSync(join(work, 'local.zip'), zip);
  const z1 = await resolveDatastore(opts(join(work, 'local.zip')));
  const z2 = await resolveDatastore(opts(join(work, 'local.zip')));
  expect([z1.fromCache, z2.fromCache]).toEqual([false, true]);
  expect(relative(datastoreCacheRoot(join(work, 'cache')), z2.root).split('/')[0]).toBe('local');
  await expect(resolveDatastore(opts(join(work, 'nope', 'x.zip')))).rejects.toThrow(/does not exist/);
  await expect(resolveDatastore(opts('nothing-cached'))).rejects.toThrow(
    /neither a URL, an existing path, nor a cached datastore .*cached: local@/,
  );
});

test('credentials and query strings never appear in messages, logs or stdout', async () => {
  const secret = (path: string) =>
    server.url(path).replace('http://', 'http://user:s3cret@') + '?X-Amz-Signature=topsecret';
  const printed: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  const logged: string[] = [];
  try {
    const err = await expectFailure(opts(secret('/missing.zip')), /HTTP 404/);
    expect(err.message).not.toMatch(/s3cret|topsecret/);
    const logAll = {
      info: (m: string) => logged.push(m),
      notice: (m: string) => logged.push(m),
      warning: (m: string) => logged.push(m),
    };
    await resolveDatastore(opts(secret('/again.zip'), { log: logAll }));
  } finally {
    process.stdout.write = write;
  }
  expect(logged.join('\n')).toMatch(
    /Fetching datastore http:\/\/\*\*\*@127\.0\.0\.1:\d+\/again\.zip\?X-Amz-Signature=\*\*\*/,
  );
  expect([...printed, ...logged].join('\n')).not.toMatch(/s3cret|topsecret/);
});

test('on a runner, secret parts of the URL are registered as masks before the toolkit logs it', async () => {
  const url = server.url('/missing.zip').replace('http://', 'http://user:s3cret@') + '?X-Amz-Signature=topsecret';
  const printed: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await expectFailure(opts(url, { env: { GITHUB_ACTIONS: 'true' } }), /HTTP 404/);
  } finally {
    process.stdout.write = write;
  }
  const masks = printed.filter((l) => l.startsWith('::add-mask::')).map((l) => l.trim());
  expect(masks).toEqual(expect.arrayContaining(['::add-mask::s3cret', '::add-mask::topsecret']));
});

test('an entry without its .complete marker (a crash mid-copy) is not trusted: it is fetched again', async () => {
  const partial = join(datastoreCacheRoot(join(work, 'cache')), 'imdb', '0.0.0-v1', 'any', 'imdb');
  mkdirSync(partial, { recursive: true });
  writeFileSync(join(partial, 'train.csv'), 'review,sentiment\n"half a rev');
  const before = server.count('/imdb.zip');
  const r = await resolveDatastore(opts(server.url('/imdb.zip'), { version: '1' }));
  expect(r.fromCache).toBe(false);
  expect(server.count('/imdb.zip')).toBe(before + 1);
  expect(readFileSync(join(r.root, 'imdb', 'train.csv'), 'utf8')).toBe(imdbFiles()[1]!.data);
  expect(existsSync(`${r.root}.complete`)).toBe(true);
});

test('staging folders left by a killed process are swept once stale; fresh ones are left alone', async () => {
  const root = datastoreCacheRoot(join(work, 'cache'));
  const stale = join(root, '.staging-killed');
  const fresh = join(root, '.staging-running');
  for (const d of [stale, fresh]) {
    mkdirSync(join(d, 'download'), { recursive: true });
    writeFileSync(join(d, 'download', 'imdb.zip'), 'partial');
  }
  const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
  utimesSync(stale, twoDaysAgo, twoDaysAgo);
  await resolveDatastore(opts(server.url('/imdb.zip')));
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(join(fresh, 'download', 'imdb.zip'))).toBe(true);
});

test('a file found in two sub-folders is ambiguous', async () => {
  const root = join(work, 'two');
  for (const d of ['a', 'b']) {
    mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, d, 'train.csv'), csvBody);
  }
  await expect(locateFile(root, 'train.csv', log)).rejects.toThrow(
    /train_file 'train\.csv' is ambiguous: the datastore has a\/train\.csv, b\/train\.csv/,
  );
});

test('a missing file lists what the datastore contains', async () => {
  const r = await resolveDatastore(opts(server.url('/imdb.zip')));
  await expect(locateFile(r.root, 'training.csv', log)).rejects.toThrow(
    /train_file 'training\.csv' is not in the datastore .* It contains: imdb\/test\.csv, imdb\/train\.csv, imdb\/valid\.csv\. Fix/,
  );
  await expect(locateFile(r.root, '../secrets.csv', log, 'test_file')).rejects.toThrow(
    /test_file '\.\.\/secrets\.csv' points outside/,
  );
});
