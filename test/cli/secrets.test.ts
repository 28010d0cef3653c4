// Must show: training from a URL with user:password@ and a presigned query writes neither secret to
// any file under output_dir (report.md, metrics.json, trainer_state.json, logs, checkpoints) nor
// to stdout/stderr. The server requires the Basic auth, so the credentials were really used. The
// same run pushes to a Hub this test starts with HF_TOKEN (the push landed: the token was used),
// and the token is in no file and no output either, nor in what went up to the Hub.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import { startHubApiFake, type HubApiFake } from '../helpers/hub-api-fake.js';
import { makeZip } from '../helpers/zip.js';

const USER = 'trainer';
const PASSWORD = 'hunter2-Pa55word';
const SIGNATURE = '5ec7e75ea1ed0123456789abcdef';
const HF_TOKEN = 'hf_secretsTestWriteToken0123456789';
let work: string;
let server: TestServer;
let hub: HubApiFake;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'textclf-secrets-'));
  const demo = await prepareDemo(join(work, 'demo'), 5);
  const files = readdirSync(demo.datastore).map((name) => ({
    name: `reviews/${name}`,
    data: readFileSync(join(demo.datastore, name)),
  }));
  server = await startDatastoreServer({
    '/private/reviews.zip': {
      body: makeZip([{ name: 'reviews/' }, ...files]),
      requireAuth: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
    },
  });
  hub = await startHubApiFake([{ name: 'trainer', token: HF_TOKEN }]);
});
afterAll(async () => {
  await server.close();
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

test('credentials and a presigned query in the datastore URL reach no file and no output', async () => {
  const url =
    server.url('/private/reviews.zip').replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`) +
    `?X-Amz-Date=20250101T000000Z&X-Amz-Signature=${SIGNATURE}`;
  const out = join(work, 'out');
  // Not spawnSync: the server answering the download runs in this process.
  const r = await run(
    process.execPath,
    [
      resolve('dist/cli.js'),
      'train',
      '--datastore',
      url,
      '--model_name_or_path',
      join(work, 'demo', 'tiny-bert'),
      '--cache_dir',
      join(work, 'cache'),
      '--output_dir',
      out,
      '--log_file',
      join(out, 'steps.jsonl'),
      '--max_epochs',
      '1',
      '--limit_train_batches',
      '2',
      '--max_length',
      '32',
      '--push_to_hub',
      '--hub_strategy',
      'end',
    ],
    { ...process.env, XDG_CACHE_HOME: join(work, 'xdg'), HF_TOKEN, HF_ENDPOINT: hub.url },
  );
  expect(r.stderr).not.toMatch(/^error:/m);
  expect(r.status).toBe(0);
  expect(server.requests.filter((q) => q.status === 200)).toHaveLength(1); // authorised by the Basic auth
  // pushed with the token (the default repo: output_dir's name under the token's account)
  const pushed = hub.repos.get('trainer/out')!;
  expect(pushed.commits.at(-1)!.title).toBe('End of training');
  const secrets = [...new Set([PASSWORD, encodeURIComponent(PASSWORD), SIGNATURE, `${USER}:`, HF_TOKEN])];
  const leaks: string[] = [];
  for (const [where, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ]) {
    for (const s of secrets) if (text.includes(s)) leaks.push(`${where} contains ${s}`);
  }
  const files = allFiles(out);
  expect(files.map((f) => f.slice(out.length + 1))).toEqual(
    expect.arrayContaining(['report.md', 'metrics.json', 'steps.jsonl', 'checkpoints/final/trainer_state.json']),
  );
  for (const f of files) {
    const bytes = readFileSync(f);
    for (const s of secrets) if (bytes.includes(Buffer.from(s))) leaks.push(`${f.slice(out.length + 1)} contains ${s}`);
  }
  for (const [path, bytes] of pushed.files)
    for (const s of secrets) if (bytes.includes(Buffer.from(s))) leaks.push(`the Hub's ${path} contains ${s}`);
  expect(leaks).toEqual([]);
  // What the records show instead: the readable, redacted URL.
  expect(readFileSync(join(out, 'metrics.json'), 'utf8')).toContain(
    `http://***@127.0.0.1:${new URL(url).port}/private/reviews.zip?X-Amz-Date=20250101T000000Z&X-Amz-Signature=***`,
  );
}, 180_000);
