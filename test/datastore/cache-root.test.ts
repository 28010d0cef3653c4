// Where datastores are cached on the CLI and in the action, and that driving the tool cache
// leaves the process environment as it found it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { datastoreCacheRoot, resolveDatastore } from '../../src/datastore/index.js';
import { cacheVersion, defaultUrlVersion, displayVersion } from '../../src/datastore/version.js';
import { startDatastoreServer } from '../helpers/datastore-server.js';
import { imdbFiles } from './fixtures.js';
import { makeZip } from '../helpers/zip.js';

test('cache root: cache_dir, else RUNNER_TOOL_CACHE, else XDG/~/.cache', () => {
  expect(datastoreCacheRoot('/c', { RUNNER_TOOL_CACHE: '/t' })).toBe('/c/datastores');
  expect(datastoreCacheRoot(undefined, { RUNNER_TOOL_CACHE: '/t' })).toBe('/t/textclf-datastores');
  expect(datastoreCacheRoot(undefined, { XDG_CACHE_HOME: '/x' })).toBe('/x/textclf/datastores');
  expect(datastoreCacheRoot(undefined, {})).toBe(join(homedir(), '.cache', 'textclf', 'datastores'));
});

test('versions are valid semver for the tool cache and map back for display', () => {
  expect(cacheVersion('1.2.3')).toBe('1.2.3');
  expect(cacheVersion('1')).toBe('0.0.0-v1');
  expect(cacheVersion('2024.01')).toMatch(/^0\.0\.0-v2024-01-[0-9a-f]{8}$/);
  expect(cacheVersion('2024.01')).not.toBe(cacheVersion('2024-01'));
  expect(displayVersion(cacheVersion('2024.01'))).toBe('2024-01');
  expect(displayVersion(cacheVersion('v2'))).toBe('v2');
  expect(defaultUrlVersion('https://a/b.zip')).not.toBe(defaultUrlVersion('https://a/b.zip', 'f'.repeat(64)));
});

test('in the action (RUNNER_TOOL_CACHE set, no cache_dir) entries land under it; env and retry globals are restored', async () => {
  const runnerCache = mkdtempSync(join(tmpdir(), 'textclf-runner-cache-'));
  const server = await startDatastoreServer({ '/imdb.zip': { body: makeZip(imdbFiles()) } });
  const before = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };
  try {
    const env = { RUNNER_TOOL_CACHE: runnerCache };
    const r = await resolveDatastore({
      source: server.url('/imdb.zip'),
      env,
      log: { info() {}, notice() {}, warning() {} },
      retry: { minSeconds: 0, maxSeconds: 0 },
    });
    expect(r.root.startsWith(join(runnerCache, 'textclf-datastores', 'imdb'))).toBe(true);
    expect(existsSync(`${r.root}.complete`)).toBe(true);
    expect({ cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP }).toEqual(before);
    expect('TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS' in globalThis).toBe(false);
  } finally {
    await server.close();
    rmSync(runnerCache, { recursive: true, force: true });
  }
});
