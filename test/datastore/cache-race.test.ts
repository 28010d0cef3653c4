// Two jobs on one machine (runners sharing one tool cache) fetching the same name@version at the
// same moment: two real processes race; one downloads and caches, the other waits for its lock
// and reuses the entry. One download, one intact entry, both runs succeed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import { makeZip } from '../helpers/zip.js';
import { imdbFiles } from './fixtures.js';

interface ChildResult {
  root?: string;
  error?: string;
  lines: string[];
}

function child(source: string, cacheDir: string): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', resolve('test/datastore/resolve-child.ts'), source, cacheDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('error', fail);
    p.on('close', () => {
      try {
        done(JSON.parse(out) as ChildResult);
      } catch {
        fail(new Error(`child printed no result: ${out}\n${err}`));
      }
    });
  });
}

let server: TestServer;
let work: string;
const noise = randomBytes(200_000);
beforeAll(async () => {
  server = await startDatastoreServer({
    // Slow enough (2 x 1.5 s) that the second process starts while the first is still downloading.
    '/race.zip': { body: makeZip([...imdbFiles(), { name: 'imdb/noise.bin', data: noise }]), delayMs: 1500 },
  });
  work = mkdtempSync(join(tmpdir(), 'textclf-race-'));
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

test('two processes caching the same datastore at once: one download, one entry, both succeed', async () => {
  const cache = join(work, 'cache');
  const url = server.url('/race.zip');
  const [a, b] = await Promise.all([child(url, cache), child(url, cache)]);
  expect(a.error).toBeUndefined();
  expect(b.error).toBeUndefined();
  expect(a.root).toBe(b.root);
  expect(server.count('/race.zip', 'GET')).toBe(1);
  const waited = [a, b].filter((r) =>
    r.lines.some((l) => /^Waiting for process \d+ on .+, which is caching datastore race/.test(l)),
  );
  expect(waited).toHaveLength(1);
  expect(waited[0].lines.some((l) => /^Datastore race@.+ was cached by another process/.test(l))).toBe(true);
  expect(readFileSync(join(a.root!, 'imdb', 'noise.bin')).equals(noise)).toBe(true);
  const root = join(cache, 'datastores');
  expect(readdirSync(root).sort()).toEqual(['race']); // no lock, no staging folder left behind
}, 60_000);
