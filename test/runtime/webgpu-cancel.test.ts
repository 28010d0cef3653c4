// A run cancelled on webgpu while its state is on the device: the interrupted checkpoint is read
// back from the device (readback session), and resuming it on webgpu gives exactly the weights of
// the uninterrupted webgpu run. Tiny on purpose: lavapipe is ~100x slower than the CPU.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/config/parse.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { runTraining } from '../../src/train/run.js';
import { lineLogger } from '../../src/util/logger.js';
import { TINY_VOCAB, writeTinyModel } from '../models/tiny-model.js';
import { makeBatches } from '../parity/fixtures.js';
import { writePretokenizedJsonl } from '../helpers/tiny-cli-train.js';
// Every test here needs a WebGPU adapter: skipped (or failed, under CI) without one.
import { testWebgpu as test } from '../helpers/webgpu.js';

process.env.XDG_RUNTIME_DIR ??= tmpdir();
const quiet = lineLogger(() => {});
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'textclf-webgpu-cancel-'));
  writeTinyModel(join(dir, 'tiny'), { files: ['config.json', 'model.safetensors'], seed: 5 });
  const batches = makeBatches({
    count: 4,
    batch: 4,
    seq: 12,
    vocab: TINY_VOCAB.length,
    labels: 2,
    seed: 4,
    learnable: true,
  });
  writePretokenizedJsonl(join(dir, 'train.jsonl'), batches);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flags = (out: string, extra: Record<string, string> = {}) =>
  parseFlags(
    {
      device: 'webgpu',
      datastore: dir,
      train_file: 'train.jsonl',
      valid_file: '',
      test_file: '',
      model_name_or_path: join(dir, 'tiny'),
      shuffle: 'false',
      batch_size: '4',
      max_epochs: '2',
      dropout: '0',
      learning_rate: '1e-3',
      warmup_steps: '1',
      max_length: '12',
      threads: '1',
      output_dir: join(dir, out),
      ...extra,
    },
    'cli',
  );

const weights = (ckpt: string) =>
  new Map([...readSafetensors(join(ckpt, 'model.safetensors')).tensors].map(([k, t]) => [k, t.data as Float32Array]));

test("cancel on webgpu saves the device state; resuming it on webgpu ends at the uninterrupted run's weights", async () => {
  const whole = await runTraining(flags('whole'), { log: quiet });
  expect(whole.metrics.run).toMatchObject({ device: 'webgpu', totalSteps: 8 });
  expect(whole.metrics.run.transfers!.state).toBe('device');

  const controller = new AbortController();
  const cut = await runTraining(flags('cut', { steps_per_run: '1' }), {
    log: quiet,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'step' && e.step === 3) controller.abort();
    },
  });
  expect(cut.metrics.run.cancelled).toBe(true);
  expect(cut.checkpointDir).toBe(join(dir, 'cut', 'checkpoints', 'interrupted'));
  expect(JSON.parse(readFileSync(join(cut.checkpointDir, 'trainer_state.json'), 'utf8'))).toMatchObject({
    step: 3,
    epoch: 0,
    stepInEpoch: 3,
  });
  // The interrupted checkpoint came from the device: one readback of the whole state.
  const t = cut.metrics.run.transfers!;
  expect(t.readback).toMatchObject({ runs: 1, downloadBytes: t.stateBytes });

  const resumed = await runTraining(flags('resumed', { resume_from: cut.checkpointDir }), { log: quiet });
  expect(resumed.metrics.run.totalSteps).toBe(8);
  const a = weights(whole.checkpointDir);
  const b = weights(resumed.checkpointDir);
  let worst = 0;
  for (const [k, v] of a) v.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b.get(k)![i]))));
  expect(worst).toBe(0);
}, 300_000);
