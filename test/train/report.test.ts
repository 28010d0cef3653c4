// report.md at the run's end: metrics.json's report with the Hub push's commit (or its failure),
// in the run's files; the action leaves this callback out (report: false) and renders its own.
import { existsSync, readFileSync } from 'node:fs';
import type { Callback } from '../../src/train/callback.js';
import { Report } from '../../src/train/callbacks/index.js';
import type { HubPushLike } from '../../src/train/callbacks/hub-push.js';
import { fakeRun } from './fake-run.js';

const failingHub: HubPushLike = {
  ensureRepo: async () => {},
  checkpointSaved: () => {},
  finish: async () => ({ repo: 'erin/m', url: 'http://hub/erin/m', error: 'HTTP 503 from the Hub' }),
};

test('in the default list: report.md with the metrics and the failed push noted, listed in the files', async () => {
  const r = await fakeRun({ maxEpochs: 1, defaults: { hub: failingHub } });
  const result = await r.finish();
  const md = readFileSync(result.reportPath, 'utf8');
  expect(md).toContain('## Text classification');
  expect(md).toContain('xychart-beta');
  expect(md).toContain('The push to the Hugging Face Hub (erin/m) failed: HTTP 503 from the Hub.');
  expect(result.files).toContain(result.reportPath);
});

test('removed from the list (the action: report false), no report.md', async () => {
  const r = await fakeRun({ maxEpochs: 1, edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof Report)) });
  const result = await r.finish();
  expect(existsSync(result.reportPath)).toBe(false);
  const off = await fakeRun({ maxEpochs: 1, defaults: { report: false } });
  expect(off.trainer.callbacks.find(Report)).toBeUndefined();
});
