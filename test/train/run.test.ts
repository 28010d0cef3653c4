// runTraining end to end on the demo data: files written, log_file lines, predictions, and a
// cancelled run that resumes to exactly the weights of an uninterrupted run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parseFlags } from '../../src/config/parse.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { lineLogger } from '../../src/util/logger.js';
import { runTraining } from '../../src/train/run.js';

const quiet = lineLogger(() => {});
let root: string;
let base: Record<string, string>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-run-'));
  base = {
    ...(await prepareDemo(join(root, 'demo'), 42)),
    max_epochs: '2',
    batch_size: '16',
    limit_train_batches: '6',
    learning_rate: '0.001',
    warmup_steps: '2',
    weight_decay: '0.01',
    max_length: '32',
    dropout: '0',
    seed: '3',
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const weightsOf = (dir: string) => readSafetensors(join(dir, 'model.safetensors')).tensors;

test('a run writes metrics, per-step log lines, predictions and loadable checkpoints', async () => {
  const out = join(root, 'full');
  const flags = parseFlags(
    { ...base, output_dir: out, log_file: join(out, 'steps.jsonl'), predictions_file: join(out, 'pred.csv') },
    'cli',
  );
  const r = await runTraining(flags, { log: quiet });
  const steps = readFileSync(join(out, 'steps.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(steps[0].lr).toBe(0); // warmup: lr 0 at the first step, as Hugging Face's schedule
  expect(steps[1].lr).toBeCloseTo(0.0005, 10);
  expect(r.metrics.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  expect(r.metrics.epochs[1].validation!.samples).toBe(300);
  expect(r.metrics.test!.samples).toBe(300);
  const rows = parse(readFileSync(join(out, 'pred.csv')), { columns: true }) as Record<string, string>[];
  expect(rows).toHaveLength(300);
  expect(Object.keys(rows[0])).toEqual(['row', 'label', 'predicted_label', 'p_negative', 'p_positive']);
  const acc = rows.filter((x) => x.label === x.predicted_label).length / rows.length;
  expect(acc).toBeCloseTo(r.metrics.test!.accuracy, 10);
  expect(Number(rows[0].p_negative) + Number(rows[0].p_positive)).toBeCloseTo(1, 5);
  for (const d of ['epoch-1', 'epoch-2', 'final'])
    expect(existsSync(join(out, 'checkpoints', d, 'onnx', 'model.onnx'))).toBe(true);
  expect(readFileSync(r.reportPath, 'utf8')).toContain('xychart-beta');
});

test('SIGTERM-style cancellation saves a checkpoint that resumes to the same weights as an uninterrupted run', async () => {
  const full = join(root, 'full');
  const cut = join(root, 'cut');
  const controller = new AbortController();
  // One step per run, so the abort takes effect right after step 8 (with steps_per_run=auto it
  // would after the run holding step 8); the full and the resumed runs use auto.
  const r1 = await runTraining(parseFlags({ ...base, output_dir: cut, steps_per_run: '1' }, 'cli'), {
    log: quiet,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'step' && e.step === 8) controller.abort();
    },
  });
  expect(r1.metrics.run.cancelled).toBe(true);
  expect(r1.checkpointDir).toBe(join(cut, 'checkpoints', 'interrupted'));
  const state = JSON.parse(readFileSync(join(r1.checkpointDir, 'trainer_state.json'), 'utf8'));
  expect(state).toMatchObject({ step: 8, epoch: 1, stepInEpoch: 2 });

  const resumed = join(root, 'resumed');
  const r2 = await runTraining(parseFlags({ ...base, output_dir: resumed, resume_from: r1.checkpointDir }, 'cli'), {
    log: quiet,
  });
  expect(r2.metrics.run.totalSteps).toBe(12);
  const a = weightsOf(join(full, 'checkpoints', 'final'));
  const b = weightsOf(r2.checkpointDir);
  let maxDiff = 0;
  for (const [name, t] of a) {
    const u = b.get(name)!;
    for (let i = 0; i < t.data.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(Number(t.data[i]) - Number(u.data[i])));
  }
  expect(maxDiff).toBeLessThan(1e-6);
  expect(r2.metrics.test!.accuracy).toBeCloseTo(
    JSON.parse(readFileSync(join(full, 'metrics.json'), 'utf8')).test.accuracy,
    10,
  );
});

test('bad input fails with a message naming the flag or file', async () => {
  await expect(
    runTraining(parseFlags({ ...base, output_dir: join(root, 'bad'), train_file: 'nope.csv' }, 'cli'), { log: quiet }),
  ).rejects.toThrow(/train_file 'nope.csv' is not in the datastore .* It contains: .*train.csv/);
  await expect(
    runTraining(parseFlags({ ...base, output_dir: join(root, 'bad2'), resume_from: join(root, 'demo') }, 'cli'), {
      log: quiet,
    }),
  ).rejects.toThrow(/resume_from: .* has no trainer_state.json/);
});

test('accumulate_grad_batches and val_check_interval: steps, lrs and mid-epoch validations in metrics.jsonl', async () => {
  const out = join(root, 'accum');
  const r = await runTraining(
    parseFlags(
      { ...base, output_dir: out, accumulate_grad_batches: '2', val_check_interval: '0.5', max_epochs: '1' },
      'cli',
    ),
    { log: quiet },
  );
  const events = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const steps = events.filter((e) => e.type === 'step');
  expect(steps).toHaveLength(3); // 6 batches / 2 per step
  expect(r.metrics.run.totalSteps).toBe(3);
  const validations = events.filter((e) => e.type === 'validation');
  expect(validations.map((e) => e.step)).toEqual([2, 3]); // after 3 of 6 batches (step 2 covers batches 3-4) and at the end
  expect(events.map((e) => e.type).slice(-2)).toEqual(['epoch', 'test']);
});
