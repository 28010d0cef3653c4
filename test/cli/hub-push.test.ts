// Must show (issue 23, Push to the Hub), through `textclf train` against a Hub this test starts
// (test/helpers/hub-api-fake.ts, the HTTP API @huggingface/hub speaks): --push_to_hub commits the
// model directory and README.md, whose YAML parses and whose model-index accuracy is metrics.json's;
// a private repo without a token fails at once with a clear error; a push that fails mid-way leaves
// the local run intact; hub_strategy checkpoint puts last-checkpoint/ up, and a run resumes from it.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { startHubApiFake, type HubApiFake } from '../helpers/hub-api-fake.js';

const ALICE = 'hf_aliceWriteToken0123456789abcdef';
const BOB = 'hf_bobWriteToken0123456789abcdef';
let root: string, model: string, data: string, hub: HubApiFake;
const stderr: string[] = [];
const stdout: string[] = [];
let writeErr: typeof process.stderr.write, writeOut: typeof process.stdout.write;
const savedEnv = { HF_TOKEN: process.env.HF_TOKEN, HF_ENDPOINT: process.env.HF_ENDPOINT };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-hub-push-'));
  ({ model_name_or_path: model, datastore: data } = await prepareDemo(join(root, 'demo'), 42));
  hub = await startHubApiFake([
    { name: 'alice', token: ALICE },
    { name: 'bob', token: BOB },
  ]);
  process.env.HF_ENDPOINT = hub.url;
}, 60_000);
afterAll(async () => {
  await hub.close();
  for (const [k, v] of Object.entries(savedEnv))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  stderr.length = stdout.length = 0;
  delete process.env.HF_TOKEN;
  writeErr = process.stderr.write;
  writeOut = process.stdout.write;
  process.stderr.write = ((s: string) => stderr.push(String(s)) > 0) as typeof writeErr;
  process.stdout.write = ((s: string) => stdout.push(String(s)) > 0) as typeof writeOut;
});
afterEach(() => {
  process.stderr.write = writeErr;
  process.stdout.write = writeOut;
});

const train = (out: string, extra: string[]) =>
  main([
    'train',
    ...['--datastore', data, '--model_name_or_path', model, '--output_dir', out],
    ...['--batch_size', '32', '--learning_rate', '1e-3', '--max_length', '32', '--threads', '1', '--seed', '3'],
    ...['--limit_train_batches', '3', '--limit_val_batches', '2'],
    ...extra,
  ]);
const metricsOf = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;
const filesUnder = (dir: string, root = dir): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p, root) : [relative(root, p).split(sep).join('/')];
  });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test("--push_to_hub commits checkpoints/final and README.md; the card parses and its model-index accuracy is metrics.json's", async () => {
  process.env.HF_TOKEN = ALICE;
  const out = join(root, 'reviews-bert');
  const code = await train(out, ['--push_to_hub', '--max_epochs', '2']);
  expect(stderr.join('')).not.toMatch(/^error:/m);
  expect(code).toBe(0);
  // the default repo: output_dir's name under the token's account
  const repo = hub.repos.get('alice/reviews-bert')!;
  expect(repo).toBeDefined();
  const final = join(out, 'checkpoints', 'final');
  const local = filesUnder(final).filter((f) => f !== 'optimizer.safetensors' && f !== 'trainer_state.json');
  expect(local).toEqual(expect.arrayContaining(['README.md', 'config.json', 'model.safetensors', 'onnx/model.onnx']));
  // What landed: exactly the model files and the card, byte for byte, big ones through LFS.
  expect([...repo.files.keys()].sort()).toEqual(['.gitattributes', ...local].sort());
  for (const f of local) expect(sha(repo.files.get(f)!)).toBe(sha(readFileSync(join(final, f))));
  expect(repo.lfs).toEqual(new Set(['model.safetensors', 'onnx/model.onnx', 'onnx/model_quantized.onnx']));
  const titles = repo.commits.map((c) => c.title);
  expect(titles.at(-1)).toBe('End of training');
  // every_save (the default): epoch pushes in the background, each the model of that epoch
  expect(titles.slice(1, -1).every((t) => /^Training in progress, epoch [12]$/.test(t))).toBe(true);
  expect(titles.length).toBeGreaterThanOrEqual(3);
  // the token went to the Hub only, never to the storage URLs
  const puts = hub.requests.filter((r) => r.method === 'PUT');
  expect(puts.length).toBeGreaterThan(0);
  expect(puts.every((r) => r.authorization === undefined)).toBe(true);

  const card = repo.files.get('README.md')!.toString('utf8');
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
  expect(m).not.toBeNull();
  const meta = parseYaml(m![1]) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const metrics = metricsOf(out);
  expect(meta.pipeline_tag).toBe('text-classification');
  expect(meta.library_name).toBe('transformers');
  expect(meta.base_model).toBeUndefined(); // a local directory is no Hub model
  expect(meta.datasets).toBeUndefined(); // nor is a local datastore a Hub dataset
  const result = meta['model-index'][0].results[0];
  expect(meta['model-index'][0].name).toBe('reviews-bert');
  expect(result.task.type).toBe('text-classification');
  expect(result.dataset.split).toBe('test');
  const value = (type: string) => result.metrics.find((x: { type: string }) => x.type === type).value;
  expect(value('accuracy')).toBe(metrics.test!.accuracy);
  expect(value('f1')).toBe(metrics.test!.f1);
  expect(value('loss')).toBe(metrics.test!.loss);
  for (const label of metrics.labels) expect(card).toContain(`| ${label} |`);
  expect(card).toContain(`Epoch ${metrics.bestEpoch} of 2 was the best`);
  expect(card).toContain("pipeline('text-classification', 'alice/reviews-bert', { dtype: 'q8' })");
  expect(card).not.toContain(root); // no local path
  // the CLI prints the commit; report.md links it
  const commit = repo.commits.at(-1)!.oid;
  expect(stdout.join('')).toContain(`hub:        ${hub.url}alice/reviews-bert/commit/${commit}`);
  expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(
    `[Hugging Face Hub: alice/reviews-bert @ ${commit.slice(0, 7)}](${hub.url}alice/reviews-bert/commit/${commit})`,
  );
  expect(existsSync(join(out, '.hub-push'))).toBe(false); // staging links removed
}, 180_000);

test('a private repo without a token fails at once with a clear error; nothing is trained or sent', async () => {
  hub.addRepo('alice/secret-model', { private: true });
  const before = hub.requests.length;
  const out = join(root, 'no-token');
  const code = await train(out, ['--push_to_hub', '--hub_model_id', 'alice/secret-model', '--hub_private_repo']);
  expect(code).toBe(1);
  expect(stderr.join('')).toContain(
    'error: push_to_hub: pushing to alice/secret-model (a private repo) needs a Hugging Face token with write access, and none is set: set HF_TOKEN',
  );
  expect(hub.requests.length).toBe(before);
  expect(existsSync(out)).toBe(false);
  // The Hub itself hides the repo from anonymous callers (401 RepoNotFound, as huggingface.co does)
  const anon = await fetch(`${hub.url}api/models/alice/secret-model`);
  expect([anon.status, anon.headers.get('x-error-code')]).toEqual([401, 'RepoNotFound']);
}, 60_000);

test("another account's token: 403 on creating in alice's namespace, named with the fix; a bad token: 401", async () => {
  process.env.HF_TOKEN = BOB;
  expect(await train(join(root, 'bob'), ['--push_to_hub', '--hub_model_id', 'alice/secret-model'])).toBe(1);
  expect(stderr.join('')).toContain(
    `error: creating the model repo alice/secret-model: the Hub refused (403 You don't have the rights to create a model under the namespace "alice")`,
  );
  expect(stderr.join('')).toContain('or set hub_model_id to a repo of your own');
  stderr.length = 0;
  process.env.HF_TOKEN = 'hf_revokedToken000000000000000000';
  expect(await train(join(root, 'revoked'), ['--push_to_hub'])).toBe(1);
  expect(stderr.join('')).toMatch(
    /error: checking the token at .*: the Hub refused the token \(401 Invalid credentials/,
  );
  expect(existsSync(join(root, 'revoked'))).toBe(false);
}, 120_000);

test('a push that fails mid-way (503 on the commit, after the LFS uploads) leaves the local run intact and exits 1', async () => {
  process.env.HF_TOKEN = ALICE;
  hub.fail({ method: 'POST', path: /^\/api\/models\/alice\/flaky\/commit\//, status: 503 });
  const out = join(root, 'flaky');
  const code = await train(out, ['--push_to_hub', '--hub_strategy', 'end', '--max_epochs', '1']);
  expect(code).toBe(1);
  // mid-way: the files went up to storage, then the commit failed, so nothing landed in the repo
  const lfsPuts = hub.requests.filter((r) => r.method === 'PUT' && r.status === 200);
  expect(lfsPuts.length).toBeGreaterThan(0);
  expect([...hub.repos.get('alice/flaky')!.files.keys()]).toEqual(['.gitattributes']);
  // the local run is whole: results, report, the final model with its card
  const m = metricsOf(out);
  expect(m.test?.accuracy).toBeGreaterThan(0);
  const final = join(out, 'checkpoints', 'final');
  for (const f of ['config.json', 'model.safetensors', 'onnx/model.onnx', 'optimizer.safetensors', 'README.md'])
    expect(existsSync(join(final, f))).toBe(true);
  const err = stderr.join('');
  // one error: what failed, that the results are complete, and how to push them later
  expect(err.match(/^error: /gm)).toHaveLength(1);
  expect(err).toMatch(
    /^error: push_to_hub: committing \d+ files to alice\/flaky: the Hub failed \(HTTP 503: .*\); try again later\. Training finished and every result is in .*flaky; push the model later with `hf upload alice\/flaky .*checkpoints\/final --exclude optimizer\.safetensors trainer_state\.json`$/m,
  );
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  expect(report).toContain('The push to the Hugging Face Hub (alice/flaky) failed');
  expect(report).toContain('Training finished and every result is in');
}, 120_000);

test('hub_strategy checkpoint pushes last-checkpoint/ (no local paths in it), and a run resumes from its download', async () => {
  process.env.HF_TOKEN = ALICE;
  const out = join(root, 'ckpt');
  expect(
    await train(out, [
      '--push_to_hub',
      '--hub_strategy',
      'checkpoint',
      '--hub_model_id',
      'resumable',
      '--max_epochs',
      '1',
    ]),
  ).toBe(0);
  const repo = hub.repos.get('alice/resumable')!;
  const ckpt = [...repo.files.keys()].filter((f) => f.startsWith('last-checkpoint/'));
  expect(ckpt).toEqual(
    expect.arrayContaining([
      'last-checkpoint/optimizer.safetensors',
      'last-checkpoint/trainer_state.json',
      'last-checkpoint/model.safetensors',
    ]),
  );
  expect(repo.commits.map((c) => c.title)).toContain('Training in progress, epoch 1, with last-checkpoint/');
  const state = repo.files.get('last-checkpoint/trainer_state.json')!.toString('utf8');
  expect(state).not.toContain(root);
  // download last-checkpoint/ as a user would, and continue training from it
  const dl = join(root, 'downloaded');
  for (const f of ckpt) {
    const res = await fetch(`${hub.url}alice/resumable/resolve/main/${f}`, {
      headers: { authorization: `Bearer ${ALICE}` },
    });
    expect(res.status).toBe(200);
    const to = join(dl, f.slice('last-checkpoint/'.length));
    mkdirSync(join(to, '..'), { recursive: true });
    writeFileSync(to, Buffer.from(await res.arrayBuffer()));
  }
  const resumed = join(root, 'resumed');
  expect(await train(resumed, ['--resume_from', dl, '--max_epochs', '2'])).toBe(0);
  const m = metricsOf(resumed);
  expect(m.resumedFrom).toMatchObject({ epoch: 1 });
  expect(m.epochs.map((e) => e.epoch)).toEqual([1, 2]);
}, 180_000);
