// metrics.jsonl: every event of the run in order (steps, validations, epochs, the test), a resumed
// run's earlier events first; the file is in the run's result.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Callback } from '../../src/train/callback.js';
import { MetricsJsonl } from '../../src/train/callbacks/index.js';
import { eventsOf, fakeRun, STEPS_PER_EPOCH } from './fake-run.js';

const shape = (file: string) => eventsOf(file).map((e) => `${e.type}@${e.step}`);
const epochOf = (first: number) => [
  ...Array.from({ length: STEPS_PER_EPOCH }, (_, i) => `step@${first + i}`),
  `validation@${first + STEPS_PER_EPOCH - 1}`,
  `epoch@${first + STEPS_PER_EPOCH - 1}`,
];

test('in the default list: every event in order, the test last, the file listed in the result', async () => {
  const r = await fakeRun({ maxEpochs: 2, valLoss: [0.5, 0.4] });
  const result = await r.finish();
  const file = join(r.out, 'metrics.jsonl');
  expect(shape(file)).toEqual([...epochOf(1), ...epochOf(5), 'test@8']);
  const events = eventsOf(file);
  expect(events[0]).toMatchObject({ type: 'step', step: 1, epoch: 1, loss: 1, lr: 1e-3, gradNorm: 1 });
  expect(events[4]).toMatchObject({ type: 'validation', epoch: 1, metrics: { loss: 0.5 } });
  expect(events[5]).toMatchObject({ type: 'epoch', epoch: 1, trainLoss: (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4 });
  expect(result.files).toContain(file);
});

test('removed from the list, there is no metrics.jsonl', async () => {
  const r = await fakeRun({ edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof MetricsJsonl)) });
  const result = await r.finish();
  expect(existsSync(join(r.out, 'metrics.jsonl'))).toBe(false);
  expect(result.files.some((f) => f.endsWith('metrics.jsonl'))).toBe(false);
});

test("a resumed run rewrites it: the checkpoint's events first (not later ones), then its own", async () => {
  const first = await fakeRun({ maxEpochs: 3, valLoss: [0.5, 0.4, 0.3] });
  await first.finish();
  const resumed = await fakeRun({
    out: first.out,
    resumeFrom: join(first.out, 'checkpoints', 'epoch-1'),
    maxEpochs: 2,
    valLoss: [0.5, 0.45],
  });
  await resumed.finish();
  expect(shape(join(first.out, 'metrics.jsonl'))).toEqual([...epochOf(1), ...epochOf(5), 'test@8']);
  expect(eventsOf(join(first.out, 'metrics.jsonl'))[10]).toMatchObject({ type: 'validation', metrics: { loss: 0.45 } });
});
