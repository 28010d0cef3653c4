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

function child(source: string, cacheDir: string, onLine: (line: string) => void = () => {}): Promise<ChildResult> {
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
    p.stderr.on('data', (c) => {
      const before = err.length;
      err += c;
      // complete lines only (a chunk may end mid-line)
      const start = err.lastIndexOf('\n', before - 1) + 1;
      const end = err.lastIndexOf('\n');
      if (end >= start) err.slice(start, end).split('\n').forEach(onLine);
    });
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
// The first process's download is held half-way until the second one says it waits for the lock,
// so the race happens whatever the machine's load (no timing assumptions).
let release!: () => void;
const hold = new Promise<void>((r) => (release = r));
beforeAll(async () => {
  server = await startDatastoreServer({
    '/race.zip': { body: makeZip([...imdbFiles(), { name: 'imdb/noise.bin', data: noise }]), hold },
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
  const first = child(url, cache);
  const deadline = Date.now() + 45_000;
  while (server.count('/race.zip', 'GET') === 0) {
    if (Date.now() > deadline) throw new Error('the first process never started its download');
    await new Promise((r) => setTimeout(r, 50));
  }
  let waiting!: () => void;
  const secondWaits = new Promise<void>((r) => (waiting = r));
  const second = child(url, cache, (line) => {
    if (/^Waiting for process \d+/.test(line)) waiting();
  });
  await secondWaits; // the first holds the lock mid-download, the second waits for it
  release();
  const [a, b] = await Promise.all([first, second]);
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
