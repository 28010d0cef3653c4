// hf://datasets/... against a fake Hub on 127.0.0.1 (test/helpers/fake-dataset-hub.ts): splits from
// the card's configs, from file names and from the Parquet conversion; ClassLabel names; the cache
// keyed by commit (a hit makes one request; a moved branch downloads again; offline uses the last
// copy); HF_TOKEN's scope; and the errors a user can hit.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDatastore, DatastoreError } from '../../src/datastore/index.js';
import { CancelledError } from '../../src/util/cancel.js';
import { lineLogger } from '../../src/util/logger.js';
import { fakeSha, startFakeDatasetHub, type FakeDatasetHub } from '../helpers/fake-dataset-hub.js';
import { writeParquet } from '../helpers/parquet.js';

let root: string;
let hub: FakeDatasetHub;
const files: Record<string, string> = {};

const CARD = `---
license: mit
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
  - split: validation
    path: data/validation-*
  - split: test
    path: data/test-*
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': negative
          '1': positive
---
# Reviews
`;

/** A script dataset's card (imdb's shape): no data_files, features per config. */
const SCRIPT_CARD = `---
dataset_info:
  config_name: plain_text
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': neg
          '1': pos
---
`;

function file(name: string, write: (path: string) => void): string {
  const path = join(root, 'src', name.replace(/\//g, '__'));
  write(path);
  files[name] = path;
  return path;
}

// hex digests keep the files from compressing below the CDN threshold
const rows = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ({ text: `review ${fakeSha(`${seed}-${i}`)}`, label: BigInt((i + seed) % 2) }));
const parquet = (codec: 'SNAPPY' | 'ZSTD', r: { text: string; label: bigint }[]) => (path: string) =>
  writeParquet(
    path,
    [
      { name: 'text', data: r.map((x) => x.text), type: 'STRING' },
      { name: 'label', data: r.map((x) => x.label), type: 'INT64' },
    ],
    { codec },
  );

let log: string[];
const logger = () => lineLogger((l) => log.push(l));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hf-dataset-'));
  mkdirSync(join(root, 'src'));
  file('README.md', (p) => writeFileSync(p, CARD));
  file('.gitattributes', (p) => writeFileSync(p, '*.parquet filter=lfs diff=lfs merge=lfs -text\n'));
  file('data/train-00000-of-00002.parquet', parquet('SNAPPY', rows(40, 0)));
  file('data/train-00001-of-00002.parquet', parquet('SNAPPY', rows(30, 1)));
  file('data/validation-00000-of-00001.parquet', parquet('ZSTD', rows(10, 2)));
  file('data/test-00000-of-00001.parquet', parquet('ZSTD', rows(12, 3)));
  // big enough (> 64 KiB) to be streamed rather than read at once
  file('big/train.parquet', (p) =>
    writeParquet(p, [
      { name: 'text', data: Array.from({ length: 3000 }, (_, i) => fakeSha(`big-${i}`).repeat(2)), type: 'STRING' },
      { name: 'label', data: Array.from({ length: 3000 }, (_, i) => BigInt(i % 2)), type: 'INT64' },
    ]),
  );
  file('unsplit/reviews.csv', (p) => writeFileSync(p, 'text,label\na,pos\nb,neg\n'));
  file('named/dev.jsonl', (p) => writeFileSync(p, '{"text":"a","label":"x"}\n'));
  file('named/train.jsonl', (p) => writeFileSync(p, '{"text":"b","label":"y"}\n'));
  file('script.py', (p) => writeFileSync(p, '# a loading script\n'));
  file('script/README.md', (p) => writeFileSync(p, SCRIPT_CARD));
  file('conv/plain_text/train/0000.parquet', parquet('SNAPPY', rows(8, 4)));
  file('conv/plain_text/partial-test/0000.parquet', parquet('SNAPPY', rows(4, 5)));
  file('conv/plain_text/unsupervised/0000.parquet', parquet('SNAPPY', rows(4, 6)));
  const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, files[n]!]));
  const data = [
    'README.md',
    '.gitattributes',
    'data/train-00000-of-00002.parquet',
    'data/train-00001-of-00002.parquet',
    'data/validation-00000-of-00001.parquet',
    'data/test-00000-of-00001.parquet',
  ];
  hub = await startFakeDatasetHub(
    {
      'test/reviews': { revisions: { main: { sha: fakeSha('reviews-1'), files: pick(...data) } } },
      'test/private': {
        private: true,
        tokens: ['hf_secret_reader'],
        revisions: { main: { sha: fakeSha('private-1'), files: pick(...data) } },
      },
      'test/big': {
        revisions: { main: { sha: fakeSha('big'), files: { 'train.parquet': files['big/train.parquet']! } } },
      },
      'test/unsplit': {
        revisions: { main: { sha: fakeSha('unsplit'), files: { 'reviews.csv': files['unsplit/reviews.csv']! } } },
      },
      'test/named': {
        revisions: {
          main: {
            sha: fakeSha('named'),
            files: { 'dev.jsonl': files['named/dev.jsonl']!, 'train.jsonl': files['named/train.jsonl']! },
          },
        },
      },
      'test/scripted': {
        revisions: {
          main: {
            sha: fakeSha('scripted'),
            files: { 'scripted.py': files['script.py']!, 'README.md': files['script/README.md']! },
          },
          'refs/convert/parquet': {
            sha: fakeSha('scripted-parquet'),
            files: {
              'plain_text/train/0000.parquet': files['conv/plain_text/train/0000.parquet']!,
              'plain_text/partial-test/0000.parquet': files['conv/plain_text/partial-test/0000.parquet']!,
              'plain_text/unsupervised/0000.parquet': files['conv/plain_text/unsupervised/0000.parquet']!,
            },
          },
        },
      },
    },
    { cdnAbove: 1024, pageSize: 3 },
  );
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  log = [];
  hub.requests.length = 0;
});

const resolve = (source: string, cache: string, env: NodeJS.ProcessEnv = {}, extra: object = {}) =>
  resolveDatastore({
    source,
    cacheDir: join(root, cache),
    log: logger(),
    env: { HF_ENDPOINT: hub.url, ...env },
    downloadTimeoutMs: 2000,
    retry: { minSeconds: 0, maxSeconds: 0 },
    ...extra,
  });

test('card configs: train <- 2 shards, valid <- validation, test <- test; ClassLabel names; files via the CDN without the token', async () => {
  const ds = await resolve('hf://datasets/test/reviews', 'c1', { HF_TOKEN: 'hf_secret_reader' });
  expect(ds.hub).toMatchObject({
    repo: 'test/reviews',
    revision: 'main',
    sha: fakeSha('reviews-1'),
    config: 'default',
    splits: {
      train: { name: 'train', files: ['data/train-00000-of-00002.parquet', 'data/train-00001-of-00002.parquet'] },
      valid: { name: 'validation', files: ['data/validation-00000-of-00001.parquet'] },
      test: { name: 'test', files: ['data/test-00000-of-00001.parquet'] },
    },
    classLabels: { label: ['negative', 'positive'] },
  });
  expect(ds.hub!.converted).toBeUndefined();
  for (const s of Object.values(ds.hub!.splits))
    for (const f of s.files) expect(existsSync(join(ds.root, f))).toBe(true);
  expect(existsSync(join(ds.root, '.gitattributes'))).toBe(false); // only what the splits need
  // Paged listing (3 entries a page) followed to its end; the big files came from the CDN.
  expect(hub.requests.filter((r) => r.path.includes('/tree/')).length).toBeGreaterThan(2);
  const cdn = hub.requests.filter((r) => r.server === 'cdn');
  expect(cdn.length).toBeGreaterThanOrEqual(3);
  // HF_ENDPOINT is this hub: the token goes to it, never to the CDN.
  expect(cdn.every((r) => r.authorization === undefined && r.status < 300)).toBe(true);
  expect(
    hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret_reader'),
  ).toBe(true);
});

test('a cached commit makes one request (the revision); a moved branch downloads the new commit; offline uses the last copy', async () => {
  const first = await resolve('hf://datasets/test/reviews', 'c2');
  expect(first.fromCache).toBe(false);
  hub.requests.length = 0;
  const again = await resolve('hf://datasets/test/reviews', 'c2');
  expect(again).toMatchObject({ root: first.root, fromCache: true });
  expect(hub.requests.map((r) => r.path)).toEqual(['/api/datasets/test/reviews/revision/main']);
  expect(log.join('\n')).toMatch(/at commit [0-9a-f]{12} from the cache .*no download/);

  const repo = hub.repos['test/reviews']!;
  const old = repo.revisions.main!;
  repo.revisions.main = { ...old, sha: fakeSha('reviews-2') };
  try {
    const moved = await resolve('hf://datasets/test/reviews', 'c2');
    expect(moved.fromCache).toBe(false);
    expect(moved.hub!.sha).toBe(fakeSha('reviews-2'));
    expect(moved.root).not.toBe(first.root);
    hub.stall.add('api'); // accepts the connection, never answers
    log = [];
    const offline = await resolve('hf://datasets/test/reviews', 'c2', {}, { downloadTimeoutMs: 300 });
    expect(offline).toMatchObject({ root: moved.root, fromCache: true });
    expect(log.join('\n')).toMatch(
      /the Hub cannot be reached \(.*no answer from .* for 0\.3 s.*\); using the cached copy of commit [0-9a-f]{12}/,
    );
    // Nothing cached for another cache dir: the timeout is the error.
    await expect(resolve('hf://datasets/test/reviews', 'c2-empty', {}, { downloadTimeoutMs: 300 })).rejects.toThrow(
      /no answer from .* for 0\.3 s .*download_timeout\. Fix: check that .* is reachable/,
    );
  } finally {
    hub.stall.clear();
    repo.revisions.main = old;
  }
});

test('a private dataset: no token fails with a clear error; the token is sent only to HF_ENDPOINT, not to a hub_url host', async () => {
  const err = await resolve('hf://datasets/test/private', 'c3').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatastoreError);
  expect((err as Error).message).toMatch(
    /hf:\/\/datasets\/test\/private: HTTP 401 from .*: the dataset is private or gated, or does not exist\. Fix: set HF_TOKEN to a token that can read it/,
  );
  const viaHubUrl = await resolveDatastore({
    source: 'hf://datasets/test/private',
    cacheDir: join(root, 'c3'),
    log: logger(),
    hubUrl: hub.url,
    env: { HF_TOKEN: 'hf_secret_reader' },
  }).catch((e: unknown) => e);
  expect((viaHubUrl as Error).message).toMatch(
    /HF_TOKEN is set, but it is sent only to huggingface\.co and the HF_ENDPOINT host/,
  );
  expect(hub.requests.every((r) => r.authorization === undefined)).toBe(true);
  expect(JSON.stringify(viaHubUrl)).not.toContain('hf_secret_reader');
  const wrong = await resolve('hf://datasets/test/private', 'c3', { HF_TOKEN: 'hf_other' }).catch((e: unknown) => e);
  expect((wrong as Error).message).toMatch(/HTTP 401 .*Fix: check that the token in HF_TOKEN can read this dataset/);
  const ok = await resolve('hf://datasets/test/private', 'c3', { HF_TOKEN: 'hf_secret_reader' });
  expect(ok.hub!.splits.train!.files).toHaveLength(2);
});

test('no card: split names in file names (dev -> valid), else every file is train', async () => {
  const named = await resolve('hf://datasets/test/named', 'c4');
  expect(named.hub!.splits).toEqual({
    train: { name: 'train', files: ['train.jsonl'] },
    valid: { name: 'dev', files: ['dev.jsonl'] },
  });
  expect(named.hub!.classLabels).toBeUndefined();
  const unsplit = await resolve('hf://datasets/test/unsplit', 'c4');
  expect(unsplit.hub!.splits).toEqual({ train: { name: 'train', files: ['reviews.csv'] } });
});

test('a script dataset is read from refs/convert/parquet: config dir, partial splits said, other splits ignored', async () => {
  const ds = await resolve('hf://datasets/test/scripted', 'c5');
  expect(ds.hub).toMatchObject({
    sha: fakeSha('scripted'),
    config: 'plain_text',
    converted: true,
    classLabels: { label: ['neg', 'pos'] },
    splits: {
      train: { name: 'train', files: ['plain_text/train/0000.parquet'] },
      test: { name: 'test', files: ['plain_text/partial-test/0000.parquet'] },
    },
  });
  const text = log.join('\n');
  expect(text).toMatch(
    /no Parquet, CSV or JSONL data files .*reading the Hub's Parquet conversion \(refs\/convert\/parquet\)/,
  );
  expect(text).toMatch(/holds only the first part of test/);
  expect(text).toMatch(/splits not read: unsupervised/);
  expect(hub.requests.some((r) => r.path === '/api/datasets/test/scripted/revision/refs/convert/parquet')).toBe(true);
});

test('errors: a bad URL, an unknown dataset, an unknown config, datastore_sha256, a revision that does not exist', async () => {
  await expect(resolve('hf://models/test/reviews', 'c6')).rejects.toThrow(
    /is not a dataset on the Hub .*Fix: write hf:\/\/datasets\/OWNER\/NAME/,
  );
  await expect(resolve('hf://datasets/reviews', 'c6')).rejects.toThrow(/must name one repository as OWNER\/NAME/);
  await expect(resolve('hf://datasets/test/nothing', 'c6', { HF_TOKEN: 'hf_secret_reader' })).rejects.toThrow(
    /HTTP 404 .*no such dataset or revision\. Fix: check the name and the @revision/,
  );
  await expect(resolve('hf://datasets/test/reviews@v9', 'c6')).rejects.toThrow(/HTTP 404 .*revision v9/);
  await expect(resolve('hf://datasets/test/reviews', 'c6', {}, { datasetConfig: 'sst2' })).rejects.toThrow(
    /dataset_config 'sst2' is not one of the dataset's configs \(default\)\. Fix: set dataset_config/,
  );
  await expect(resolve('hf://datasets/test/reviews', 'c6', {}, { sha256: 'a'.repeat(64) })).rejects.toThrow(
    /datastore_sha256 does not apply to hf:\/\/datasets\/test\/reviews/,
  );
  // nothing half-written in the cache
  const cache = join(root, 'c6', 'datastores');
  expect(existsSync(cache) ? readdirSync(cache).filter((n) => !n.startsWith('.')) : []).toEqual([]);
});

test('a file that never comes fails within download_timeout; a cancel ends the wait at once; nothing is cached', async () => {
  hub.stall.add('data/test-00000-of-00001.parquet');
  try {
    let t0 = Date.now();
    await expect(resolve('hf://datasets/test/reviews', 'c7', {}, { downloadTimeoutMs: 400 })).rejects.toThrow(
      /no answer from .*test-00000-of-00001\.parquet for 0\.4 s \(data\/test-00000-of-00001\.parquet\), the download_timeout/,
    );
    expect(Date.now() - t0).toBeLessThan(3000);
    const ctl = new AbortController();
    t0 = Date.now();
    const p = resolve('hf://datasets/test/reviews', 'c7', {}, { downloadTimeoutMs: 60_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 300);
    await expect(p).rejects.toThrow(CancelledError);
    expect(Date.now() - t0).toBeLessThan(2000);
    // Half a file, then silence: each of the 3 attempts waits download_timeout, then a clear error.
    hub.stall.clear();
    hub.stallMidway.add('train.parquet');
    expect(statSync(files['big/train.parquet']!).size).toBeGreaterThan(64 * 1024);
    t0 = Date.now();
    await expect(resolve('hf://datasets/test/big', 'c7', {}, { downloadTimeoutMs: 300 })).rejects.toThrow(
      /the download from .* stalled \(no data for 0\.3 s\) \(train\.parquet\), the download_timeout/,
    );
    expect(Date.now() - t0).toBeLessThan(3 * 300 + 2000);
    expect(log.filter((l) => /Download of train\.parquet .* failed .*attempt [23] of 3/.test(l))).toHaveLength(2);
    // download_time_limit: one clock for all attempts, however patient download_timeout is.
    t0 = Date.now();
    await expect(
      resolve('hf://datasets/test/big', 'c7', {}, { downloadTimeoutMs: 60_000, downloadTimeLimitMs: 500 }),
    ).rejects.toThrow(/downloading train\.parquet did not finish within .*, the download_time_limit\. Fix: /);
    expect(Date.now() - t0).toBeLessThan(2500);
  } finally {
    hub.stall.clear();
    hub.stallMidway.clear();
  }
  const cache = join(root, 'c7', 'datastores');
  expect(readdirSync(cache).filter((n) => !n.startsWith('.'))).toEqual([]);
  expect(readdirSync(cache).filter((n) => n.startsWith('.staging-'))).toEqual([]);
});
