// --log_file: one line per optimizer step in train.py's names; a resumed run appends.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Callback, TrainerView } from '../../src/train/callback.js';
import { StepLog } from '../../src/train/callbacks/index.js';
import { fakeRun, fakeTrainer, STEPS_PER_EPOCH } from './fake-run.js';

const linesOf = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('in the default list with log_file: a line per step with step, epoch, loss, lr, grad_norm, samples_per_s', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'textclf-steplog-')), 'logs', 'steps.jsonl');
  const r = await fakeRun({ maxEpochs: 2, flags: { log_file: file } });
  const lines = linesOf(file);
  expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 2 * STEPS_PER_EPOCH }, (_, i) => i + 1));
  expect(Object.keys(lines[0])).toEqual(['step', 'epoch', 'loss', 'lr', 'grad_norm', 'samples_per_s']);
  expect(lines[5]).toMatchObject({ step: 6, epoch: 2, loss: 1 / 6, lr: (1e-3 * 3) / 8, grad_norm: 1 }); // linear decay
  expect(lines[0].samples_per_s).toBeGreaterThan(0);

  // a resumed run appends its steps after the ones already there
  await fakeRun({
    out: r.out,
    resumeFrom: join(r.out, 'checkpoints', 'epoch-2'),
    maxEpochs: 3,
    flags: { log_file: file },
  });
  expect(linesOf(file).map((l) => l.step)).toEqual(Array.from({ length: 3 * STEPS_PER_EPOCH }, (_, i) => i + 1));
});

test('removed from the list (or without log_file), no step log is written', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'textclf-steplog-')), 'steps.jsonl');
  await fakeRun({ flags: { log_file: file }, edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof StepLog)) });
  expect(existsSync(file)).toBe(false);
  const r = await fakeRun();
  expect(r.trainer.callbacks.find(StepLog)).toBeUndefined();
});

test('mixed precision: the loss scale and whether the step was skipped', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'textclf-steplog-')), 'steps.jsonl');
  const { t } = fakeTrainer();
  const log = new StepLog(file);
  log.onFitStart(t as TrainerView);
  const step = {
    type: 'step',
    step: 1,
    epoch: 1,
    loss: 0.7,
    lr: 0,
    gradNorm: Infinity,
    samplesPerSec: 9,
    time: 0,
  } as const;
  log.onTrainStepEnd(t, { ...step, skipped: true, lossScale: 65536 });
  log.onTrainStepEnd(t, { ...step, step: 2 });
  const [a, b] = linesOf(file);
  expect(a).toMatchObject({ step: 1, loss_scale: 65536, skipped: true });
  expect(Object.keys(b)).not.toContain('loss_scale');
});
