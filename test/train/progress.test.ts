// Progress: throttled progress lines with throughput and ETA, a log section per epoch where the
// logger has them (closed before the epoch's line, and by teardown after a failure), and the
// epoch's line with the best-so-far marker.
import type { Callback } from '../../src/train/callback.js';
import { Progress } from '../../src/train/callbacks/index.js';
import { progressLine } from '../../src/train/callbacks/progress.js';
import { lineLogger, type Logger } from '../../src/util/logger.js';
import { fakeRun } from './fake-run.js';

/** A logger with sections, as the action's: sections and lines in one list. */
function sectionLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    ...lineLogger((l) => lines.push(l)),
    section: (name) => void lines.push(`[section ${name}]`),
    endSection: () => void lines.push('[end]'),
  };
  return { log, lines };
}

const EPOCH_LINE = /^epoch \d: train loss/;

test('in the default list: a section per epoch, closed before the epoch line, which marks the best epoch', async () => {
  const { log, lines } = sectionLogger();
  await fakeRun({ maxEpochs: 3, valLoss: [0.5, 0.3, 0.4], log });
  const shown = lines.filter((l) => l.startsWith('[') || EPOCH_LINE.test(l));
  expect(shown).toEqual([
    '[section Epoch 1/3]',
    '[end]',
    expect.stringMatching(
      /^epoch 1: train loss 0\.5208, validation loss 0\.5000 accuracy 50\.00% F1 0\.5000 \(best val_loss so far\) \(\d+\.\d s\)$/,
    ),
    '[section Epoch 2/3]',
    '[end]',
    expect.stringMatching(/^epoch 2: .*validation loss 0\.3000 .*\(best val_loss so far\)/),
    '[section Epoch 3/3]',
    '[end]',
    expect.stringMatching(
      /^epoch 3: train loss 0\.\d{4}, validation loss 0\.4000 accuracy 60\.00% F1 0\.6000 \(\d+\.\d s\)$/,
    ),
  ]);
});

test('removed from the list, no epoch lines or sections', async () => {
  const { log, lines } = sectionLogger();
  await fakeRun({ maxEpochs: 2, log, edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof Progress)) });
  expect(lines.filter((l) => l.startsWith('[') || EPOCH_LINE.test(l))).toEqual([]);
});

test('progress lines at most every everySeconds (0: every step), with step, loss, rate and ETA', async () => {
  const r = await fakeRun({ maxEpochs: 1, defaults: { progressSeconds: 0 } });
  const progress = r.lines.filter((l) => /^epoch 1\/1 step/.test(l));
  expect(progress.map((l) => /step (\d+)\/4/.exec(l)![1])).toEqual(['1', '2', '3', '4']);
  expect(progress[1]).toMatch(/^epoch 1\/1 step 2\/4 \(50\.0%\) loss 0\.5000 [\d.]+ samples\/s elapsed \S+ ETA \S+$/);
  const hourly = await fakeRun({ maxEpochs: 1, defaults: { progressSeconds: 3600 } });
  expect(hourly.lines.filter((l) => /^epoch 1\/1 step/.test(l))).toHaveLength(1); // the first only
});

test('a failure mid-epoch: the open section is closed (by onException, once)', async () => {
  const { log, lines } = sectionLogger();
  const boom = {
    onTrainStepEnd: (_t: unknown, e: { step: number }) => {
      if (e.step === 2) throw new Error('boom');
    },
  } as Callback;
  await expect(fakeRun({ log, extra: [boom] })).rejects.toThrow('boom');
  expect(lines.filter((l) => l.startsWith('['))).toEqual(['[section Epoch 1/3]', '[end]']);
});

test('a cancel mid-epoch closes the open section when the fit ends, before anything after it (the test, the upload)', async () => {
  const { log, lines } = sectionLogger();
  const r = await fakeRun({ log, cancelAtStep: 2, extra: [{ onCancel: () => void lines.push('(cancel)') }] });
  await r.finish();
  expect(lines.filter((l) => l.startsWith('[') || l === '(cancel)')).toEqual([
    '[section Epoch 1/3]',
    '[end]',
    '(cancel)',
  ]);
});

test('progressLine: rate, percentage and ETA from the elapsed time', () => {
  expect(progressLine({ step: 25, totalSteps: 100, epoch: 1, maxEpochs: 4, loss: 0.69314, samples: 400 }, 20)).toBe(
    'epoch 1/4 step 25/100 (25.0%) loss 0.6931 20.0 samples/s elapsed 20s ETA 1m 0s',
  );
});
