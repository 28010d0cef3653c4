// No hangs (issue 21), through the bundled CLI as a user runs it (node dist/cli.js; build first):
// an output path under /proc fails at once (Node's own recursive mkdir spun there forever and held
// off SIGTERM); a hub that never answers ends within --download_timeout + 5 s, and Ctrl-C ends it
// within 2 s; SIGTERM ends every command while it works.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import { prepareDemo } from '../../src/demo/prepare.js';

const CLI = resolve('dist/cli.js');
let work: string;
let hub: Server;
let hubUrl: string;
const sockets = new Set<Socket>();
let demo: Record<string, string>;
let trained: string;
let input: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'textclf-cli-hangs-'));
  // A hub that accepts every request and never answers.
  hub = createServer(() => {});
  hub.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`;
  demo = await prepareDemo(join(work, 'demo'), 3);
  // A trained model to score with, and an input long enough to be mid-work when signalled.
  const out = join(work, 'trained');
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof write;
  try {
    const code = await main([
      'train',
      ...['--datastore', demo.datastore, '--model_name_or_path', demo.model_name_or_path, '--output_dir', out],
      ...['--max_epochs', '1', '--limit_train_batches', '1', '--max_length', '32', '--threads', '1'],
    ]);
    expect(code).toBe(0);
  } finally {
    process.stderr.write = write;
  }
  trained = join(out, 'checkpoints', 'final');
  input = join(work, 'many.csv');
  const words = ['a', 'great', 'film', 'awful', 'plot', 'boring', 'fun', 'i', 'loved', 'it'];
  const rows = Array.from({ length: 20_000 }, (_, i) =>
    Array.from({ length: 24 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
  );
  writeFileSync(input, `text,label\n${rows.map((r, i) => `${r},${i % 2 ? 'positive' : 'negative'}`).join('\n')}\n`);
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => hub.close(r));
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  p: ChildProcess;
  out: () => string;
  /** Exit code (or the signal's name), and when. */
  exited: Promise<{ code: number | string; at: number }>;
  hasExited: () => boolean;
}

function start(args: string[]): Run {
  const p = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') },
  });
  let out = '';
  let done = false;
  // A hang must fail the test, not outlive it.
  const guard = setTimeout(() => p.kill('SIGKILL'), 40_000);
  p.on('close', () => clearTimeout(guard));
  p.stdout!.on('data', (c) => (out += c));
  p.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<{ code: number | string; at: number }>((r) =>
    p.on('close', (code, signal) => {
      done = true;
      r({ code: code ?? signal ?? -1, at: Date.now() });
    }),
  );
  return { p, out: () => out, exited, hasExited: () => done };
}

async function until(run: Run, pattern: RegExp, ms = 60_000): Promise<void> {
  for (const t0 = Date.now(); !pattern.test(run.out());) {
    if (run.hasExited() || Date.now() - t0 > ms) throw new Error(`never saw ${pattern}; output:\n${run.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const train = (extra: string[]) => [
  'train',
  ...['--datastore', demo.datastore, '--model_name_or_path', demo.model_name_or_path, ...extra],
];

test('--output_dir /proc/x (and other output paths there) fail at once, naming the flag', async () => {
  for (const [flag, path] of [
    ['--output_dir', '/proc/textclf-x'],
    ['--cache_dir', '/proc/textclf-x'],
    ['--log_file', '/proc/textclf-x/steps.jsonl'],
  ]) {
    const t0 = Date.now();
    const run = start(train(['--output_dir', join(work, 'out-proc'), flag, path]));
    const { code, at } = await run.exited;
    expect(code).toBe(1);
    expect((at - t0) / 1000).toBeLessThan(5); // node's start-up included; the spin never ended
    expect(run.out()).toMatch(
      new RegExp(`error: ${flag} /proc/textclf-x.* /proc does not take new folders .*\\(ENOENT\\)\\. Fix: `),
    );
  }
  const t0 = Date.now();
  const data = start(['demo-data', '--output_dir', '/proc/textclf-x']);
  expect((await data.exited).code).toBe(1);
  expect((Date.now() - t0) / 1000).toBeLessThan(5);
  expect(data.out()).toMatch(
    /error: --output_dir \/proc\/textclf-x cannot be created: \/proc does not take new folders/,
  );
}, 60_000);

test('a hub that never answers ends the run within --download_timeout + 5 s', async () => {
  const t0 = Date.now();
  const run = start(
    train([
      ...['--model_name_or_path', 'org/never', '--hub_url', hubUrl, '--download_timeout', '2'],
      ...['--output_dir', join(work, 'out-hub'), '--cache_dir', join(work, 'cache-hub')],
    ]),
  );
  const { code, at } = await run.exited;
  const seconds = (at - t0) / 1000;
  expect(code).toBe(1);
  expect(seconds).toBeLessThan(2 + 5);
  expect(run.out()).toContain(
    `error: downloading ${hubUrl}org/never/resolve/main/config.json timed out: the server accepted the connection but sent no answer for 2 s, the download_timeout.`,
  );
  expect(existsSync(join(work, 'out-hub'))).toBe(false);
  process.stdout.write(`hub stall, --download_timeout 2: the CLI failed after ${seconds.toFixed(1)} s\n`);
}, 60_000);

test('Ctrl-C during a stalled hub download ends the run within 2 s', async () => {
  const run = start(
    train([
      ...['--model_name_or_path', 'org/never', '--hub_url', hubUrl],
      ...['--output_dir', join(work, 'out-hub-int'), '--cache_dir', join(work, 'cache-hub-int')],
    ]),
  );
  await until(run, /== Model/);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  run.p.kill('SIGINT');
  const { code, at } = await run.exited;
  expect(code).toBe(130);
  expect((at - t0) / 1000).toBeLessThan(2);
  expect(run.out()).toContain(`error: cancelled while downloading ${hubUrl}org/never/resolve/main/config.json`);
  process.stdout.write(`SIGINT during a stalled hub download: exit ${code} after ${((at - t0) / 1000).toFixed(2)} s\n`);
}, 60_000);

test('SIGTERM ends every command while it works: train, demo, predict, evaluate, bench, doctor', async () => {
  const cases: { name: string; args: string[]; busy: RegExp; within: number }[] = [
    {
      name: 'train (stalled hub download)',
      args: train([
        ...['--model_name_or_path', 'org/never', '--hub_url', hubUrl],
        ...['--output_dir', join(work, 'out-term'), '--cache_dir', join(work, 'cache-term')],
      ]),
      busy: /== Model/,
      within: 2,
    },
    {
      name: 'demo (training)',
      args: ['demo', '--output_dir', join(work, 'demo-term')],
      busy: /training [\d,]+ parameters/,
      within: 10, // after the current steps, with a checkpoint
    },
    {
      name: 'predict',
      args: ['predict', '--model', trained, '--input', input, '--output', join(work, 'p.csv')],
      busy: /model .* \(local\)/,
      within: 2,
    },
    {
      name: 'evaluate',
      args: ['evaluate', '--model', trained, '--input', input],
      busy: /model .* \(local\)/,
      within: 2,
    },
    { name: 'bench', args: ['bench', '--steps', '1000', '--threads', '1'], busy: /./, within: 2 },
    { name: 'doctor', args: ['doctor'], busy: /^/, within: 2 },
  ];
  const seen: string[] = [];
  for (const c of cases) {
    const run = start(c.args);
    await until(run, c.busy);
    await new Promise((r) => setTimeout(r, 300));
    expect(run.hasExited()).toBe(false); // still working when the signal comes
    const t0 = Date.now();
    run.p.kill('SIGTERM');
    const { code, at } = await run.exited;
    const seconds = (at - t0) / 1000;
    // 130: cancelled (train and demo stop themselves); 143 or SIGTERM: ended by the signal.
    expect([c.name, [130, 143, 'SIGTERM'].includes(code), seconds < c.within]).toEqual([c.name, true, true]);
    seen.push(`${c.name}: ${code} after ${seconds.toFixed(2)} s`);
    // A cancelled run has a test split it did not run: it says so (it said "no test split").
    if (c.name.startsWith('demo')) expect(run.out()).toMatch(/\ntest: not run \(the run was cancelled\)\n/);
  }
  process.stdout.write(`SIGTERM: ${seen.join('; ')}\n`);
}, 180_000);
