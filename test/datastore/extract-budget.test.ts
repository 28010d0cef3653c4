// The expansion guard end to end against a real HTTP server: archives listing more bytes than an
// explicit limit or the cache disk's free space are refused before anything is extracted, a zip
// whose central directory understates its sizes is refused after extraction, and every refusal
// leaves the cache byte for byte as it was.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDatastore, DatastoreError, type ResolveOptions } from '../../src/datastore/index.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import { makeZip } from '../helpers/zip.js';
import { imdbFiles, makeTarGz } from './fixtures.js';

const fast = { minSeconds: 0, maxSeconds: 0 };
const log = { info: () => {}, notice: () => {}, warning: () => {} };
const BIG = 20_000; // bytes in big.csv: over the 10 000-byte limit below, compresses to ~100 bytes
let work: string;
let server: TestServer;

/** Rewrites the uncompressed size every central directory entry lists (the local headers keep theirs). */
function listSizes(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  const end = out.length - 22; // no archive comment
  const count = out.readUInt16LE(end + 10);
  let at = out.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    expect(out.readUInt32LE(at)).toBe(0x02014b50);
    out.writeUInt32LE(size, at + 24);
    at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  return out;
}

/** A zip whose entries claim (just under 4 GiB each) more than the free space of `dir`'s disk. */
function bombFor(dir: string): Buffer {
  const st = statfsSync(dir);
  const claim = 0xfffffffe; // 0xffffffff would mean "see the zip64 field"
  const n = Math.ceil((st.bavail * st.bsize) / claim) + 1;
  const files = Array.from({ length: n }, (_, i) => ({ name: `part${i}.csv`, data: 'a,b\n' }));
  return listSizes(makeZip(files), claim);
}

beforeAll(async () => {
  const big = [{ name: 'big/' }, { name: 'big/train.csv', data: Buffer.alloc(BIG, 'a') }];
  server = await startDatastoreServer({
    '/imdb.zip': { body: makeZip(imdbFiles()) },
    '/imdb.tar.gz': { body: await makeTarGz(imdbFiles()) },
    '/big.zip': { body: makeZip(big) },
    '/big.tar.gz': { body: await makeTarGz(big) },
    '/bomb.zip': { body: bombFor(tmpdir()) },
    // The central directory says 10 bytes; the data inflates to 100 000.
    '/lying.zip': { body: listSizes(makeZip([{ name: 'train.csv', data: Buffer.alloc(100_000, 'b') }]), 10) },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'textclf-budget-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const opts = (path: string, extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
  source: server.url(path),
  cacheDir: join(work, 'cache'),
  log,
  retry: fast,
  ...extra,
});

/** Every path under the cache with its content hash (files) or '/' (folders). */
function cacheBytes(): Record<string, string> {
  const root = join(work, 'cache');
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  for (const rel of (readdirSync(root, { recursive: true }) as string[]).map(String).sort()) {
    const path = join(root, rel);
    out[rel] = statSync(path).isDirectory() ? '/' : createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

async function expectRefused(o: ResolveOptions, pattern: RegExp): Promise<string> {
  const before = cacheBytes();
  const err = await resolveDatastore(o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatastoreError);
  expect((err as Error).message).toMatch(pattern);
  expect(cacheBytes()).toEqual(before);
  return (err as Error).message;
}

test('archives under the limit are extracted; a zip and a tar.gz listing more are refused and leave the cache as it was', async () => {
  const limit = { env: { TEXTCLF_MAX_EXTRACT_BYTES: '10000' } };
  const zip = await resolveDatastore(opts('/imdb.zip', limit));
  const tgz = await resolveDatastore(opts('/imdb.tar.gz', { maxExtractBytes: 10_000 }));
  expect(readFileSync(join(zip.root, 'imdb', 'train.csv'), 'utf8')).toBe(imdbFiles()[1]!.data);
  expect(readFileSync(join(tgz.root, 'imdb', 'test.csv'), 'utf8')).toBe(imdbFiles()[3]!.data);
  expect(Object.keys(cacheBytes()).length).toBeGreaterThan(0);

  const refused = (name: string) =>
    new RegExp(
      `^Refusing to extract http://127\\.0\\.0\\.1:\\d+/${name} expands to 19\\.5 KiB ` +
        '\\(the sizes its entries list\\), over the 9\\.8 KiB limit set by TEXTCLF_MAX_EXTRACT_BYTES; the cache filesystem ' +
        '\\(.+\\) has \\d+\\.\\d [KMGT]iB free\\. Fix: raise or unset TEXTCLF_MAX_EXTRACT_BYTES',
    );
  await expectRefused(opts('/big.zip', limit), refused('big\\.zip'));
  await expectRefused(opts('/big.tar.gz', { maxExtractBytes: 10_000 }), refused('big\\.tar\\.gz'));
  // the option wins over the environment; without either, free space is the only limit
  expect((await resolveDatastore(opts('/big.zip', { ...limit, maxExtractBytes: BIG }))).fromCache).toBe(false);
  const tar = await resolveDatastore(opts('/big.tar.gz'));
  expect(statSync(join(tar.root, 'big', 'train.csv')).size).toBe(BIG);
});

test('an archive listing more than the cache disk has free is refused before extraction', async () => {
  const msg = await expectRefused(
    opts('/bomb.zip'),
    new RegExp(
      '^Refusing to extract http://127\\.0\\.0\\.1:\\d+/bomb\\.zip ' +
        'expands to \\d+\\.\\d [GTP]iB \\(the sizes its entries list\\): extracting and caching it needs \\d+\\.\\d [GTP]iB plus 64\\.0 MiB ' +
        'to spare, but the cache filesystem \\(.+\\) has \\d+\\.\\d [KMGT]iB free\\. Fix: free disk space there, or set cache_dir ' +
        'to a folder on a bigger disk\\.$',
    ),
  );
  expect(msg).toContain(join(work, 'cache', 'datastores'));
  expect(cacheBytes()).toEqual({}); // nothing was created, not even the cache root
});

test('a zip whose central directory understates its sizes is refused while extracting, leaving nothing behind', async () => {
  await resolveDatastore(opts('/imdb.zip'));
  await expectRefused(
    opts('/lying.zip'),
    new RegExp(
      "^Refusing http://127\\.0\\.0\\.1:\\d+/lying\\.zip: entry 'train\\.csv' holds more than the 10 bytes it lists " +
        '\\(10 B\\), so its headers lie \\(a zip bomb or a corrupt archive\\)\\. Fix: re-create',
    ),
  );
});

test('a TEXTCLF_MAX_EXTRACT_BYTES that is not a number of bytes is an error naming it', async () => {
  await expectRefused(
    opts('/imdb.zip', { env: { TEXTCLF_MAX_EXTRACT_BYTES: '10GB' } }),
    /TEXTCLF_MAX_EXTRACT_BYTES='10GB' is not a whole number of bytes\. Fix: set it to e\.g\. 10737418240/,
  );
});
