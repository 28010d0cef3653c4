// hub_strategy as Hugging Face Trainer has it, on HubPush alone (checkpoint dirs written here, no
// training): every_save pushes each saved checkpoint's model in the background, never blocking
// the caller, and skips a save while a push is in flight (HF's _push_from_checkpoint); the files
// pushed are the checkpoint as it was when saved, even when it is pruned mid-push; finish waits
// for the push in flight, then commits "End of training"; end pushes nothing before; close
// cancels a push that hangs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/config/parse.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { HubPush } from '../../src/train/hub-push.js';
import { lineLogger } from '../../src/util/logger.js';
import { sampleMetrics } from '../report/fixture.js';
import { startHubApiFake, type HubApiFake } from '../helpers/hub-api-fake.js';

const TOKEN = 'hf_erinWriteToken0123456789abcdef';
let hub: HubApiFake, root: string;
const lines: string[] = [];
const log = lineLogger((l) => lines.push(l));
const savedEndpoint = process.env.HF_ENDPOINT;

beforeAll(async () => {
  hub = await startHubApiFake([{ name: 'erin', token: TOKEN }]);
  process.env.HF_ENDPOINT = hub.url;
  root = mkdtempSync(join(tmpdir(), 'textclf-hub-strategy-'));
});
afterAll(async () => {
  await hub.close();
  if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = savedEndpoint;
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => (lines.length = 0));

/** A checkpoint dir as saveCheckpoint writes one; `tag` makes each epoch's weights differ. */
function checkpoint(dir: string, tag: string): string {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', tag }));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.from(`weights\u0000${tag}`));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), Buffer.from(`onnx\u0000${tag}`));
  writeFileSync(join(dir, 'optimizer.safetensors'), Buffer.from(`adam\u0000${tag}`));
  writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify({ epoch: 1, step: 1, labels: [], flags: {} }));
  return dir;
}

async function connect(name: string, strategy: string): Promise<HubPush> {
  const flags = parseFlags(
    { output_dir: join(root, name), push_to_hub: 'true', hub_strategy: strategy, model_name_or_path: join(root, 'm') },
    'cli',
  );
  const push = await HubPush.connect(flags, { log, token: TOKEN });
  await push.ensureRepo();
  return push;
}

const metrics = (): MetricsFile => sampleMetrics({ finalEpoch: 2 });

test('every_save: a background push per save, a save during a push is skipped, finish waits and commits the end', async () => {
  const push = await connect('every', 'every_save');
  const e1 = checkpoint(join(root, 'every', 'checkpoints', 'epoch-1'), 'e1');
  const e2 = checkpoint(join(root, 'every', 'checkpoints', 'epoch-2'), 'e2');
  const t0 = performance.now();
  push.checkpointSaved(e1, 1); // returns at once: the commit runs in the background
  push.checkpointSaved(e2, 2); // epoch 1's push is in flight: not pushed (HF's rule), not queued
  expect(performance.now() - t0).toBeLessThan(200);
  // pruning removes epoch-1 while its push runs: the push still sends epoch 1's files
  rmSync(e1, { recursive: true, force: true });
  const final = checkpoint(join(root, 'every', 'checkpoints', 'final'), 'final');
  const out = await push.finish({ dir: final, metrics: metrics(), cancelled: false });
  await push.close();
  const repo = hub.repos.get('erin/every')!;
  expect(repo.commits.map((c) => c.title)).toEqual([
    'initial commit',
    'Training in progress, epoch 1',
    'End of training',
  ]);
  // epoch 1's commit: its model files only (no optimizer state, no trainer state), as they were
  // when saved, although pruning removed them before the upload read them
  expect(repo.commits[1].paths.sort()).toEqual(['config.json', 'model.safetensors', 'onnx/model.onnx']);
  expect(repo.commits[1].files.get('model.safetensors')!.toString()).toBe('weights\u0000e1');
  expect(lines).toContain('Hub: epoch 2 is not pushed: the previous push is still running');
  expect(lines.some((l) => /^Hub: epoch 1 pushed \(3 files\): http/.test(l))).toBe(true);
  // the end: the final model and its card; the repo's head holds exactly that
  expect(repo.commits[2].paths.sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'onnx/model.onnx']);
  expect(repo.files.get('model.safetensors')!.toString()).toBe('weights\u0000final');
  expect(out.commit?.url).toBe(`${hub.url}erin/every/commit/${repo.commits[2].oid}`);
  expect(out.files?.sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'onnx/model.onnx']);
});

test('a failed epoch push is a warning: training goes on and the final model is still pushed', async () => {
  hub.fail({ method: 'POST', path: /^\/api\/models\/erin\/flaky-epoch\/commit\//, status: 502 });
  const push = await connect('flaky-epoch', 'every_save');
  push.checkpointSaved(checkpoint(join(root, 'flaky-epoch', 'checkpoints', 'epoch-1'), 'e1'), 1);
  const final = checkpoint(join(root, 'flaky-epoch', 'checkpoints', 'final'), 'final');
  const out = await push.finish({ dir: final, metrics: metrics(), cancelled: false });
  await push.close();
  expect(lines.some((l) => /^warning: Hub: pushing epoch 1 failed: .*HTTP 502.*; training goes on/.test(l))).toBe(true);
  expect(hub.repos.get('erin/flaky-epoch')!.commits.map((c) => c.title)).toEqual(['initial commit', 'End of training']);
  expect(out.commit).toBeDefined();
});

test('end: nothing is pushed before finish; a cancelled run pushes nothing at the end', async () => {
  const push = await connect('end-only', 'end');
  const before = hub.requests.length;
  push.checkpointSaved(checkpoint(join(root, 'end-only', 'checkpoints', 'epoch-1'), 'e1'), 1);
  expect(hub.requests.length).toBe(before);
  const out = await push.finish({
    dir: join(root, 'end-only', 'checkpoints', 'epoch-1'),
    metrics: metrics(),
    cancelled: true,
  });
  await push.close();
  expect(out.skipped).toBe('training was cancelled: the final model was not pushed to erin/end-only');
  expect(hub.requests.length).toBe(before);
  expect(hub.repos.get('erin/end-only')!.commits).toHaveLength(1);
});

test('close() cancels a background push that hangs (hub_timeout 0) and returns promptly', async () => {
  const release = hub.stall('POST', /^\/api\/models\/erin\/hang\/preupload\//);
  const push = await connect('hang', 'every_save');
  push.checkpointSaved(checkpoint(join(root, 'hang', 'checkpoints', 'epoch-1'), 'e1'), 1);
  while (!hub.requests.some((r) => r.path === '/api/models/erin/hang/preupload/main'))
    await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  await push.close();
  expect(performance.now() - t0).toBeLessThan(1000);
  release();
  expect(lines).toContain(
    'warning: Hub: pushing epoch 1 was cancelled; training goes on, and the final model is pushed at the end',
  );
});
