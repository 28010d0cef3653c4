// TensorBoard: at the run's end one event file per run (train, validation, test) with the whole
// history, a resumed run's earlier steps included, replacing any older one; the files are in the result.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Callback } from '../../src/train/callback.js';
import { TensorBoard } from '../../src/train/callbacks/index.js';
import { decodeEventFile } from '../helpers/tfevents.js';
import { fakeRun, STEPS_PER_EPOCH } from './fake-run.js';

const scalars = (file: string, tag: string) =>
  decodeEventFile(readFileSync(file)).flatMap((e) =>
    e.values.filter((v) => v.tag === tag).map((v) => [e.step, v.simpleValue]),
  );

test('in the default list: train, validation and test event files with every step, a resumed run continuing them', async () => {
  const first = await fakeRun({ maxEpochs: 2, valLoss: [0.5, 0.4] });
  await first.finish();
  const resumed = await fakeRun({
    out: first.out,
    resumeFrom: join(first.out, 'checkpoints', 'epoch-1'),
    maxEpochs: 3,
    valLoss: [0.5, 0.375, 0.25],
  });
  // an older event file from another run is replaced, not added to
  mkdirSync(join(first.out, 'tensorboard', 'train'), { recursive: true });
  writeFileSync(join(first.out, 'tensorboard', 'train', 'events.out.tfevents.1.old'), '');
  const result = await resumed.finish();
  const dir = join(first.out, 'tensorboard');
  expect(readdirSync(dir).sort()).toEqual(['test', 'train', 'validation']);
  const files = ['train', 'validation', 'test'].map((run) => {
    const names = readdirSync(join(dir, run));
    expect(names).toHaveLength(1);
    return join(dir, run, names[0]);
  });
  expect(result.files).toEqual(expect.arrayContaining(files));
  const loss = scalars(files[0], 'loss');
  expect(loss.map(([s]) => s)).toEqual(Array.from({ length: 3 * STEPS_PER_EPOCH }, (_, i) => i + 1));
  expect(loss[6][1]).toBeCloseTo(1 / 7, 6);
  expect(scalars(files[1], 'loss')).toEqual([
    [4, 0.5],
    [8, 0.375],
    [12, 0.25],
  ]);
  expect(scalars(files[2], 'loss')).toEqual([[12, 0.25]]);
});

test('removed from the list, no tensorboard folder', async () => {
  const r = await fakeRun({ edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof TensorBoard)) });
  await r.finish();
  expect(existsSync(join(r.out, 'tensorboard'))).toBe(false);
});
