// Checkpointing: epoch checkpoints by save_checkpoints (all | best | last, the best kept until the
// end), checkpoints/final from the best epoch (test_on) with the export dtypes, checkpoints/interrupted
// when cancelled, the output claim settled by the first checkpoint, and its monitor's state through
// trainer_state.json.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Callback } from '../../src/train/callback.js';
import { Checkpointing } from '../../src/train/callbacks/index.js';
import { fakeRun, fakeTrainer, metricsWithLoss, stateOf, STEPS_PER_EPOCH } from './fake-run.js';

const withoutCheckpointing = (cbs: Callback[]) => cbs.filter((c) => !(c instanceof Checkpointing));
const dirsOf = (out: string) => readdirSync(join(out, 'checkpoints')).sort();

test('in the default list: every epoch is saved with its state, final/ holds the best epoch by val_loss', async () => {
  const r = await fakeRun({ valLoss: [0.5, 0.3, 0.4] });
  expect(dirsOf(r.out)).toEqual(['epoch-1', 'epoch-2', 'epoch-3', 'final']);
  // final/ is epoch 2 (the best): its weights were loaded back and it records that epoch's position
  expect(r.loaded).toEqual([join(r.out, 'checkpoints', 'epoch-2')]);
  expect(stateOf(join(r.out, 'checkpoints', 'final'))).toMatchObject({ epoch: 2, step: 2 * STEPS_PER_EPOCH });
  const s = stateOf(join(r.out, 'checkpoints', 'epoch-3'));
  expect(s).toMatchObject({ epoch: 3, stepInEpoch: 0, step: 3 * STEPS_PER_EPOCH });
  expect(s.history!.map((e) => [e.epoch, e.checkpoint])).toEqual([
    [1, join(r.out, 'checkpoints', 'epoch-1')],
    [2, join(r.out, 'checkpoints', 'epoch-2')],
    [3, join(r.out, 'checkpoints', 'epoch-3')],
  ]);
  expect(s.callbacks!.Checkpointing).toEqual({
    monitor: { epoch: 3, bestEpoch: 2, bestValue: 0.3, reference: 0.3, wait: 1 },
  });
  const c = r.trainer.callbacks.find(Checkpointing)!;
  expect(c.finalEpoch).toBe(2);
  expect(c.checkpoints.map((x) => x.epoch)).toEqual([1, 2, 3, 'final']);
});

test('removed from the list, nothing is saved', async () => {
  const r = await fakeRun({ valLoss: [0.5, 0.3, 0.4], edit: withoutCheckpointing });
  expect(dirsOf(r.out)).toEqual([]);
});

test('save_checkpoints best keeps the best epoch only; last keeps the best until the end, then the last and final', async () => {
  const best = await fakeRun({ valLoss: [0.5, 0.3, 0.4], flags: { save_checkpoints: 'best' } });
  expect(dirsOf(best.out)).toEqual(['epoch-2', 'final']);
  expect(best.trainer.epochs.map((e) => !!e.checkpoint)).toEqual([false, true, false]);

  // last: when the fit ends the best (epoch 2) is still there, for final/
  const seen: string[][] = [];
  const out = mkdtempSync(join(tmpdir(), 'textclf-last-'));
  const last = await fakeRun({
    out,
    valLoss: [0.5, 0.3, 0.4],
    flags: { save_checkpoints: 'last' },
    // fired before Checkpointing's own onFitEnd (callbacks that save checkpoints fire last)
    extra: [{ onFitEnd: () => void seen.push(dirsOf(out)) }],
  });
  expect(seen).toEqual([['epoch-2', 'epoch-3']]);
  expect(dirsOf(last.out)).toEqual(['epoch-3', 'final']);
  expect(stateOf(join(last.out, 'checkpoints', 'final')).epoch).toBe(2);
});

test('test_on last: final/ is the last epoch, nothing is loaded back; without validation likewise', async () => {
  const r = await fakeRun({ valLoss: [0.5, 0.3, 0.4], flags: { test_on: 'last' } });
  expect(r.loaded).toEqual([]);
  expect(stateOf(join(r.out, 'checkpoints', 'final')).epoch).toBe(3);
  const none = await fakeRun({ flags: { save_checkpoints: 'best' } });
  expect(dirsOf(none.out)).toEqual(['epoch-3', 'final']); // no validation: each epoch replaces the one before
  expect(none.loaded).toEqual([]);
});

test('final/ gets export_dtypes, epoch checkpoints fp32 only', async () => {
  const r = await fakeRun({ flags: { export_dtypes: 'fp32,q8' }, maxEpochs: 1 });
  expect(readdirSync(join(r.out, 'checkpoints', 'epoch-1', 'onnx'))).toEqual(['fp32.onnx']);
  expect(readdirSync(join(r.out, 'checkpoints', 'final', 'onnx')).sort()).toEqual(['fp32.onnx', 'q8.onnx']);
});

test('a cancelled fit saves checkpoints/interrupted mid-epoch and says how to resume; final/ is not written', async () => {
  const r = await fakeRun({ cancelAtStep: 6 });
  expect(r.end).toMatchObject({ cancelled: true, epoch: 1, stepInEpoch: 2 });
  expect(dirsOf(r.out)).toEqual(['epoch-1', 'interrupted']);
  expect(stateOf(join(r.out, 'checkpoints', 'interrupted'))).toMatchObject({ epoch: 1, stepInEpoch: 2, step: 6 });
  const dir = join(r.out, 'checkpoints', 'interrupted');
  expect(r.lines).toContain(`warning: cancelled at step 6: saved ${dir}; resume with --resume_from ${dir}`);
  // a run that finishes later removes the interrupted state
  const resumed = await fakeRun({ out: r.out, resumeFrom: dir });
  expect(resumed.end).toMatchObject({ cancelled: false, trainedSteps: 3 * STEPS_PER_EPOCH });
  expect(dirsOf(r.out)).toEqual(['epoch-1', 'epoch-2', 'epoch-3', 'final']);
});

test('the first checkpoint settles the output claim', async () => {
  const { t } = fakeTrainer();
  let settled = 0;
  const c = new Checkpointing({
    root: mkdtempSync(join(tmpdir(), 'textclf-claim-')),
    policy: 'all',
    monitor: { name: 'val_loss', minDelta: 0 },
    testOn: 'best',
    exportDtypes: ['fp32'],
    outputClaim: { settle: () => void settled++ },
  });
  c.onFitStart(t);
  expect(settled).toBe(0);
  const record = { epoch: 1, step: 4, trainLoss: 0.5, validation: metricsWithLoss(0.5), seconds: 1 };
  t.epochs.push(record);
  await c.onEpochEnd(t, { record, event: { type: 'epoch', step: 4, epoch: 1, trainLoss: 0.5, time: 0 } });
  expect(settled).toBe(1);
});

test("resuming: the monitor's saved state decides the best epoch; a state of a later epoch (final/) is rebuilt from history", async () => {
  const first = await fakeRun({ valLoss: [0.5, 0.3], maxEpochs: 2 });
  // resume epoch-2 for one more epoch, worse than epoch 2: final/ must still be epoch 2
  const again = await fakeRun({
    out: first.out,
    resumeFrom: join(first.out, 'checkpoints', 'epoch-2'),
    maxEpochs: 3,
    valLoss: [0.5, 0.3, 0.35],
  });
  expect(stateOf(join(first.out, 'checkpoints', 'final')).epoch).toBe(2);
  expect(again.trainer.callbacks.find(Checkpointing)!.monitor.state()).toMatchObject({ epoch: 3, bestEpoch: 2 });

  // Saved states win over the history: a history without validation would have no best epoch.
  const { t } = fakeTrainer({ epochs: [{ epoch: 1, step: 4, trainLoss: 1, seconds: 1 }] });
  const c = new Checkpointing({
    root: '/nonexistent',
    policy: 'all',
    monitor: { name: 'val_loss', minDelta: 0 },
    testOn: 'best',
    exportDtypes: ['fp32'],
  });
  c.loadStateDict({ monitor: { epoch: 1, bestEpoch: 1, bestValue: 0.2, reference: 0.2, wait: 0 } });
  c.onFitStart(t);
  expect(c.monitor.bestEpoch).toBe(1);
  c.loadStateDict({ monitor: { epoch: 5, bestEpoch: 1, bestValue: 0.2, wait: 0 } }); // a later epoch's: rebuilt
  c.onFitStart(t);
  expect(c.monitor.bestEpoch).toBeUndefined();
  c.loadStateDict({ monitor: { epoch: 1, wait: -3 } }); // malformed: rebuilt
  c.onFitStart(t);
  expect(c.monitor.bestEpoch).toBeUndefined();
});

test('the best epoch pruned away: final/ and the test use the last, with a warning', async () => {
  const r = await fakeRun({
    valLoss: [0.3, 0.5],
    maxEpochs: 2,
    extra: [
      {
        // a user (or a disk quota) removed the best epoch's optimizer state mid-run
        onEpochEnd: (t, { record }) => {
          if (record.epoch === 2) rmSync(join(t.epochs[0].checkpoint!, 'optimizer.safetensors'));
        },
      },
    ],
  });
  expect(r.loaded).toEqual([]);
  expect(r.lines).toContain(
    'warning: the best epoch (1) has no checkpoint on this machine any more; checkpoints/final and the test use the last epoch (2)',
  );
  expect(existsSync(join(r.out, 'checkpoints', 'final'))).toBe(true);
});
