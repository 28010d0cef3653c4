// The Hub push as a callback (the push itself: hub-strategy.test.ts): the repo is made sure of when
// the fit starts, each epoch checkpoint (not final/, not interrupted/) is handed over as it is
// saved, and the final push happens once metrics.json exists, its outcome in the run's result.
import { join } from 'node:path';
import type { Callback } from '../../src/train/callback.js';
import { HubPushCallback } from '../../src/train/callbacks/index.js';
import type { HubPushLike } from '../../src/train/callbacks/hub-push.js';
import { fakeRun } from './fake-run.js';

function recordingHub(): { hub: HubPushLike; calls: string[] } {
  const calls: string[] = [];
  const hub: HubPushLike = {
    ensureRepo: async () => void calls.push('ensureRepo'),
    checkpointSaved: (dir, epoch) => void calls.push(`saved ${epoch} ${dir}`),
    finish: async (run) => {
      calls.push(`finish ${run.dir} cancelled=${run.cancelled} metrics=${run.metrics.version}`);
      return { repo: 'erin/m', url: 'http://hub/erin/m', commit: { oid: 'abc', url: 'http://hub/erin/m/commit/abc' } };
    },
  };
  return { hub, calls };
}

test('in the default list: ensureRepo first, each epoch checkpoint as saved, the final push at the end', async () => {
  const { hub, calls } = recordingHub();
  const r = await fakeRun({ maxEpochs: 2, valLoss: [0.5, 0.4], defaults: { hub } });
  const ckpt = (n: string) => join(r.out, 'checkpoints', n);
  expect(calls).toEqual(['ensureRepo', `saved 1 ${ckpt('epoch-1')}`, `saved 2 ${ckpt('epoch-2')}`]);
  const result = await r.finish();
  expect(calls[3]).toBe(`finish ${ckpt('final')} cancelled=false metrics=1`);
  expect(result.hub).toMatchObject({ repo: 'erin/m', commit: { oid: 'abc' } });
});

test('a cancelled run hands no interrupted state over during the fit and tells finish it was cancelled', async () => {
  const { hub, calls } = recordingHub();
  const r = await fakeRun({ cancelAtStep: 2, defaults: { hub } });
  expect(calls).toEqual(['ensureRepo']);
  await r.finish();
  expect(calls[1]).toBe(`finish ${join(r.out, 'checkpoints', 'interrupted')} cancelled=true metrics=1`);
});

test('removed from the list, the Hub hears nothing', async () => {
  const { hub, calls } = recordingHub();
  const r = await fakeRun({
    defaults: { hub },
    edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof HubPushCallback)),
  });
  expect((await r.finish()).hub).toBeUndefined();
  expect(calls).toEqual([]);
});

test('a repo that cannot be made fails the fit before any step', async () => {
  const { hub } = recordingHub();
  const steps: number[] = [];
  await expect(
    fakeRun({
      defaults: { hub: { ...hub, ensureRepo: async () => Promise.reject(new Error('403 namespace')) } },
      extra: [{ onTrainStepEnd: (_t, e) => void steps.push(e.step) }],
    }),
  ).rejects.toThrow('403 namespace');
  expect(steps).toEqual([]);
});
