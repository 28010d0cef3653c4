// The CLI as a user runs it (node dist/cli.js; build first): version and help, flag mistakes,
// an output_dir that is a file, a datastore server that never answers (fails within 90 s naming
// the URL and the timeout), Ctrl-C during that download (exit 130 within 5 s, no staging folder),
// and a zip datastore training with no unzip/tar on PATH.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { makeZip } from '../helpers/zip.js';

const CLI = resolve('dist/cli.js');
let work: string;
let server: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'textclf-cli-faults-'));
  // Accepts every request and never answers.
  server = createServer(() => {});
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') },
  });

test('--version prints the version of package.json; help train and demo --help print that command’s help', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const args of [['--version'], ['-V'], ['version'], ['train', '--version']]) {
    const r = cli(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`textclf ${pkg.version}\n`);
  }
  const train = cli(['help', 'train']);
  expect(train.status).toBe(0);
  expect(train.stdout).toMatch(/^Usage: textclf train \[flags\]/);
  expect(train.stdout).toContain('--max_epochs INT');
  const demo = cli(['demo', '--help']);
  expect(demo.status).toBe(0);
  expect(demo.stdout).toMatch(/^Usage: textclf demo \[flags\]/);
  expect(cli(['help']).status).toBe(0);
  const bad = cli(['help', 'trian']);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/unknown command 'trian'/);
});

test('a flag followed by another flag is a missing value, not an unexpected argument', () => {
  const r = cli(['train', '--max_epochs', '--batch_size', '4']);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe('error: missing value for --max_epochs: expected an integer >= 1 and <= 1000\n');
  const end = cli(['train', '--batch_size']);
  expect(end.stderr).toMatch(/^error: missing value for --batch_size: expected an integer/);
  // A negative number is a value, and a bare boolean flag still means true.
  expect(
    cli(['train', '--seed', '-1', '--shuffle', '--output_dir', join(work, 'x'), '--datastore', '']).stderr,
  ).not.toMatch(/missing value/);
});

test('an output_dir that is a file (or lies below one) is a clear error, before anything is written', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  for (const [dir, msg] of [
    [file, `--output_dir ${file} is a file, not a folder. Fix:`],
    [join(file, 'sub'), `--output_dir ${join(file, 'sub')} cannot be created: ${file} is a file, not a folder.`],
  ]) {
    for (const cmd of ['train', 'demo']) {
      const r = cli([cmd, '--datastore', work, '--output_dir', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST/);
    }
  }
  expect(readFileSync(file, 'utf8')).toBe('x');
});

function train(url: string, cache: string) {
  return spawn(
    process.execPath,
    [CLI, 'train', '--datastore', url, '--cache_dir', cache, '--output_dir', join(work, 'out-stall')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') } },
  );
}

const staging = (cache: string) =>
  existsSync(join(cache, 'datastores'))
    ? readdirSync(join(cache, 'datastores')).filter((n) => n.startsWith('.staging-'))
    : [];

test('a datastore server that never answers fails the CLI within 90 s, naming the URL (redacted) and the timeout', async () => {
  const cache = join(work, 'cache-stall');
  const url = `http://user:hunter22@127.0.0.1:${port}/stall.zip?X-Amz-Signature=0ddba11`;
  const t0 = Date.now();
  const p = train(url, cache);
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  p.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((r) => p.on('close', r));
  const seconds = (Date.now() - t0) / 1000;
  expect(code).toBe(1);
  expect(seconds).toBeLessThanOrEqual(90);
  expect(out).toMatch(
    new RegExp(
      `error: Downloading http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/stall\\.zip\\?X-Amz-Signature=\\*\\*\\* timed out: the server accepted the connection but sent no answer for 30 s, the download_timeout`,
    ),
  );
  expect(out).not.toMatch(/hunter22|0ddba11/);
  expect(staging(cache)).toEqual([]);
  process.stdout.write(`stalled server: the CLI failed after ${seconds.toFixed(1)} s\n`);
}, 120_000);

test('Ctrl-C during a stalled download exits 130 within 5 s and leaves no staging folder', async () => {
  const cache = join(work, 'cache-sigint');
  const p = train(`http://127.0.0.1:${port}/stall.zip`, cache);
  let out = '';
  p.stdout.on('data', (c) => (out += c));
  p.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => p.on('close', r));
  // Wait until the download is under way, then ~1 s more.
  for (let i = 0; i < 300 && !/Fetching datastore/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  expect(out).toMatch(/Fetching datastore http:\/\/127\.0\.0\.1:\d+\/stall\.zip/);
  await new Promise((r) => setTimeout(r, 1000));
  expect(staging(cache)).toHaveLength(1); // mid-download
  const t0 = Date.now();
  p.kill('SIGINT');
  const code = await exited;
  const seconds = (Date.now() - t0) / 1000;
  expect(code).toBe(130);
  expect(seconds).toBeLessThan(5);
  expect(out).toMatch(/error: cancelled while downloading http:\/\/127\.0\.0\.1:\d+\/stall\.zip/);
  expect(staging(cache)).toEqual([]);
  process.stdout.write(`SIGINT during a stalled download: exit ${code} after ${seconds.toFixed(2)} s\n`);
}, 60_000);

test('a zip datastore trains with no unzip or tar on PATH (extraction is in-process)', async () => {
  const demo = await prepareDemo(join(work, 'demo'), 3);
  const files = readdirSync(demo.datastore).map((name) => ({
    name: `reviews/${name}`,
    data: readFileSync(join(demo.datastore, name)),
  }));
  const zip = join(work, 'reviews.zip');
  writeFileSync(zip, makeZip([{ name: 'reviews/' }, ...files]));
  const empty = mkdtempSync(join(tmpdir(), 'textclf-nopath-'));
  const out = join(work, 'out-zip');
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'train',
      '--datastore',
      zip,
      '--model_name_or_path',
      demo.model_name_or_path,
      '--cache_dir',
      join(work, 'cache-zip'),
      '--output_dir',
      out,
      '--max_epochs',
      '1',
      '--limit_train_batches',
      '3',
      '--max_length',
      '32',
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PATH: empty, XDG_CACHE_HOME: join(work, 'xdg') } },
  );
  rmSync(empty, { recursive: true, force: true });
  expect(r.stderr).not.toMatch(/^error:/m);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/Cached datastore reviews@/);
  expect(existsSync(join(out, 'metrics.json'))).toBe(true);
}, 180_000);
