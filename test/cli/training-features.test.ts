// Must show (issue 15), through the CLI on the demo's data and model: early stopping, the
// tutorial's /datastores paths and Lightning flags, class weights and label smoothing recorded,
// the best epoch as final/, a resumed run keeping its history, one run per output_dir.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseFlags } from '../../src/config/parse.js';
import type { MetricsEvent, MetricsFile } from '../../src/metrics/types.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { runTraining } from '../../src/train/run.js';
import { captureStream, demoWorkspace } from '../helpers/demo-workspace.js';
import { lineLogger } from '../../src/util/logger.js';

let root: string, model: string, data: string;
const stderr = captureStream('stderr');

beforeAll(async () => {
  ({ root, model, data } = await demoWorkspace('textclf-features-', 5, { train: 640, valid: 96, test: 96 }));
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const common = (out: string) => [
  ...['--datastore', data, '--model_name_or_path', model, '--output_dir', out],
  ...['--batch_size', '32', '--learning_rate', '1e-3', '--max_length', '32', '--threads', '1', '--seed', '3'],
];
const metricsOf = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;
const eventsOf = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricsEvent);

test('--max_epochs 40 --early_stopping_patience 1 --early_stopping_min_delta 0.5 stops within 4 epochs and says why', async () => {
  const out = join(root, 'early');
  const code = await main([
    'train',
    ...common(out),
    ...['--max_epochs', '40', '--early_stopping_patience', '1', '--early_stopping_min_delta', '0.5'],
    ...['--limit_train_batches', '5'],
  ]);
  expect(code).toBe(0);
  const m = metricsOf(out);
  expect(m.epochs.length).toBeLessThanOrEqual(4);
  expect(m.epochs.length).toBe(2); // epoch 1 sets the reference; epoch 2 cannot beat it by 0.5
  expect(m.stopped).toMatchObject({ reason: 'early_stopping', epoch: 2 });
  expect(m.stopped!.message).toMatch(/validation loss did not improve by more than 0.5 for 1 epoch \(patience 1\)/);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  expect(report).toContain('**Stopped early** after epoch 2 of 40: early stopping after epoch 2');
  expect(stderr.join('')).toMatch(/notice: early stopping after epoch 2/);
}, 120_000);

test("the tutorial's /datastores/imdb-ds paths with --gradient_clip_val 0.5 --default_root_dir DIR train", async () => {
  const dir = join(root, 'tutorial');
  const code = await main([
    'train',
    ...['--datastore', data, '--model_name_or_path', model, '--default_root_dir', dir],
    ...['--train_file', '/datastores/imdb-ds/train.csv', '--valid_file', '/datastores/imdb-ds/valid.csv'],
    ...['--test_file', '/datastores/imdb-ds/test.csv', '--gradient_clip_val', '0.5'],
    ...['--max_epochs', '1', '--limit_train_batches', '1', '--batch_size', '16', '--num_workers', '4'],
    ...['--max_length', '32', '--threads', '1'],
  ]);
  expect(code).toBe(0);
  const m = metricsOf(dir);
  expect(m.run.flags.max_grad_norm).toBe(0.5);
  expect(m.run.flags.output_dir).toBe(dir);
  // Lightning's int rule: --limit_train_batches 1 is one batch, not the whole epoch
  expect(m.run.totalSteps).toBe(1);
  expect(m.test!.samples).toBe(96);
  expect(m.dataset!.rows).toEqual({ train: 640, valid: 96, test: 96 });
  const err = stderr.join('');
  expect(err).toContain(
    "notice: train_file /datastores/imdb-ds/train.csv: the tutorial's datastore mount; reading train.csv from the datastore",
  );
  expect(err).toContain('notice: --num_workers is accepted for train.py compatibility and has no effect here');
}, 120_000);

test('--class_weights balanced --label_smoothing 0.1 are recorded in metrics.json and change the loss', async () => {
  // imbalanced training data: every third positive row kept (2 negatives per positive)
  const skewed = join(root, 'skewed');
  mkdirSync(skewed, { recursive: true });
  const [head, ...lines] = readFileSync(join(data, 'train.csv'), 'utf8').trim().split('\n');
  let pos = 0;
  const kept = lines.filter((l) => !l.endsWith(',positive') || pos++ % 4 === 0);
  writeFileSync(join(skewed, 'train.csv'), [head, ...kept].join('\n') + '\n');
  for (const f of ['valid.csv', 'test.csv']) copyFileSync(join(data, f), join(skewed, f));
  const run = async (name: string, extra: string[]) => {
    const out = join(root, name);
    const args = [...common(out), '--datastore', skewed, '--max_epochs', '1', '--limit_train_batches', '3'];
    expect(await main(['train', ...args, ...extra])).toBe(0);
    return out;
  };
  const out = await run('weighted', ['--class_weights', 'balanced', '--label_smoothing', '0.1']);
  const m = metricsOf(out);
  // sklearn's balanced rule from the training labels: n / (labels x count)
  const counts = m.dataset!.labels.train;
  const n = m.dataset!.rows.train;
  expect(counts.negative).toBeGreaterThan(2 * counts.positive);
  expect(m.task).toEqual({
    problemType: 'single_label_classification',
    classWeights: m.labels.map((l) => n / (2 * counts[l])),
    classWeightsFrom: 'balanced',
    labelSmoothing: 0.1,
  });
  expect(m.run.flags).toMatchObject({ class_weights: 'balanced', label_smoothing: 0.1 });
  expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('- label smoothing 0.1');
  // the weights reach the training loss: same weights, same first batch, another loss
  const plain = await run('unweighted', []);
  const firstLoss = (dir: string) => (eventsOf(dir).find((e) => e.type === 'step') as { loss: number }).loss;
  expect(firstLoss(out)).not.toBeCloseTo(firstLoss(plain), 3);
  // a weight per label in label order; a wrong count is refused naming the order
  expect(await main(['train', ...common(join(root, 'w2')), '--class_weights', '1,2,3', '--max_epochs', '1'])).toBe(1);
  expect(stderr.join('')).toContain(
    '--class_weights: 3 weights for 2 labels; give one per label in this order: negative, positive',
  );
}, 120_000);

test('final/ and the test use the best epoch by --monitor; --test_on last uses the last', async () => {
  // A constant, high learning rate: validation loss is best at epoch 3 of 4 with seed 2 (checked below).
  const base = [
    ...['--seed', '2'],
    ...['--max_epochs', '4', '--learning_rate', '3e-3', '--lr_scheduler', 'constant', '--save_checkpoints', 'all'],
  ];
  const best = join(root, 'best');
  expect(await main(['train', ...common(best), ...base, '--monitor', 'val_loss'])).toBe(0);
  const m = metricsOf(best);
  const losses = m.epochs.map((e) => e.validation!.loss);
  const expected = losses.indexOf(Math.min(...losses)) + 1;
  expect(expected).toBeLessThan(4); // the scenario this test is about: the best epoch is not the last
  expect(m.bestEpoch).toBe(expected);
  expect(m.finalEpoch).toBe(expected);
  expect(m.monitor).toEqual({ name: 'val_loss', mode: 'min', best: Math.min(...losses) });
  const same = (a: string, b: string) => {
    const x = readSafetensors(join(a, 'model.safetensors')).tensors;
    const y = readSafetensors(join(b, 'model.safetensors')).tensors;
    return [...x].every(([k, t]) => Buffer.from(t.data.buffer).equals(Buffer.from(y.get(k)!.data.buffer)));
  };
  expect(same(join(best, 'checkpoints', 'final'), join(best, 'checkpoints', `epoch-${expected}`))).toBe(true);
  const state = JSON.parse(readFileSync(join(best, 'checkpoints', 'final', 'trainer_state.json'), 'utf8'));
  expect(state.epoch).toBe(expected);
  expect(m.run.totalSteps).toBe(80);
  expect(m.test!.loss).not.toBe(m.epochs[3].validation!.loss);

  const last = join(root, 'last');
  expect(await main(['train', ...common(last), ...base, '--test_on', 'last'])).toBe(0);
  const l = metricsOf(last);
  expect(l.finalEpoch).toBe(4);
  expect(same(join(last, 'checkpoints', 'final'), join(last, 'checkpoints', 'epoch-4'))).toBe(true);
  expect(same(join(last, 'checkpoints', 'final'), join(best, 'checkpoints', 'final'))).toBe(false);
  expect(l.test!.loss).not.toBe(m.test!.loss);
  // save_checkpoints last: the best epoch's checkpoint is kept while training, removed at the end
  const kept = join(root, 'kept');
  expect(await main(['train', ...common(kept), ...base.slice(0, -2), '--save_checkpoints', 'last'])).toBe(0);
  expect(readdirSync(join(kept, 'checkpoints')).sort()).toEqual(['epoch-4', 'final']);
  expect(same(join(kept, 'checkpoints', 'final'), join(best, 'checkpoints', 'final'))).toBe(true);
}, 180_000);

test("a resumed run's report, metrics.json, metrics.jsonl and TensorBoard keep the epochs before the resume", async () => {
  const out = join(root, 'resume');
  // cancellation is noticed between runner calls: one step per call puts it mid-epoch 2
  const flags = [...common(out), '--max_epochs', '3', '--limit_train_batches', '4', '--steps_per_run', '1'];
  const raw: Record<string, string> = {};
  for (let i = 1; i < flags.length; i += 2) raw[flags[i - 1].slice(2)] = flags[i];
  const controller = new AbortController();
  const first = await runTraining(parseFlags(raw, 'cli'), {
    log: lineLogger(() => {}),
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'step' && e.step === 6) controller.abort(); // mid-epoch 2
    },
  });
  expect(first.metrics.run.cancelled).toBe(true);
  expect(first.metrics.epochs.map((e) => e.epoch)).toEqual([1]);

  // the same output_dir: continuing its own run is not "another run"
  expect(await main(['train', ...flags, '--resume_from', join(out, 'checkpoints', 'interrupted')])).toBe(0);
  const m = metricsOf(out);
  expect(m.epochs.map((e) => [e.epoch, e.step])).toEqual([
    [1, 4],
    [2, 8],
    [3, 12],
  ]);
  expect(m.resumedFrom).toMatchObject({ epoch: 1, step: 6 });
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  for (const e of [1, 2, 3])
    expect(report).toMatch(new RegExp(`^\\| (\\*\\*)?${e}(\\*\\*)?( \\(resumed\\))? \\| ${e * 4} \\|`, 'm'));
  expect(report).toContain('Resumed from');
  // every step once, in order: the cancelled run's 6 steps, then the resumed run's
  const steps = eventsOf(out)
    .filter((e) => e.type === 'step')
    .map((e) => e.step);
  expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  expect(
    eventsOf(out)
      .filter((e) => e.type === 'epoch')
      .map((e) => (e as { epoch: number }).epoch),
  ).toEqual([1, 2, 3]);
  expect(readdirSync(join(out, 'tensorboard', 'train'))).toHaveLength(1);
  expect(existsSync(join(out, 'checkpoints', 'interrupted'))).toBe(false); // the run finished
}, 180_000);

test('an output_dir holding another run is refused; --overwrite_output_dir replaces it', async () => {
  const out = join(root, 'taken');
  expect(await main(['train', ...common(out), '--max_epochs', '2', '--limit_train_batches', '1'])).toBe(0);
  expect(await main(['train', ...common(out), '--max_epochs', '1', '--limit_train_batches', '1'])).toBe(1);
  expect(stderr.join('')).toMatch(
    /output_dir .*taken holds another run \(metrics\.json, metrics\.jsonl, report\.md, checkpoints, tensorboard\); set --overwrite_output_dir/,
  );
  expect(metricsOf(out).epochs).toHaveLength(2); // untouched
  expect(
    await main(['train', ...common(out), '--max_epochs', '1', '--limit_train_batches', '1', '--overwrite_output_dir']),
  ).toBe(0);
  expect(metricsOf(out).epochs).toHaveLength(1);
  expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['epoch-1', 'final']);
}, 120_000);

test('--max_steps overrides max_epochs and ends mid-epoch with validation; --fast_dev_run runs one batch of each split', async () => {
  const out = join(root, 'steps');
  expect(
    await main([
      'train',
      ...common(out),
      '--max_epochs',
      '9',
      '--max_steps',
      '7',
      '--limit_train_batches',
      '4',
      '--lr_scheduler',
      'cosine',
      '--warmup_ratio',
      '0.3',
    ]),
  ).toBe(0);
  const m = metricsOf(out);
  expect(m.run.totalSteps).toBe(7);
  expect(m.epochs.map((e) => [e.epoch, e.step])).toEqual([
    [1, 4],
    [2, 7],
  ]);
  expect(m.epochs[1].validation).toBeDefined();
  expect(m.stopped).toMatchObject({ reason: 'max_steps', epoch: 2 });
  // cosine with ceil(0.3 * 7) = 3 warmup steps, as Hugging Face computes it
  const lrs = eventsOf(out)
    .filter((e) => e.type === 'step')
    .map((e) => (e as { lr: number }).lr);
  const hf = (s: number) => (s < 3 ? s / 3 : 0.5 * (1 + Math.cos((Math.PI * (s - 3)) / 4)));
  lrs.forEach((lr, s) => expect(lr).toBeCloseTo(1e-3 * hf(s), 15));

  const dev = join(root, 'dev');
  expect(await main(['train', ...common(dev), '--fast_dev_run'])).toBe(0);
  const d = metricsOf(dev);
  expect(d.run.totalSteps).toBe(1);
  expect(d.epochs[0].validation!.samples).toBe(32);
  expect(d.test!.samples).toBe(32);
}, 120_000);
