// The action's callback at the run's end (publish.ts), on a real Trainer with a fake runner
// (test/train/fake-run.ts) and without GitHub (the PR comment and gates: flow.test.ts and the e2e
// tests): report.md before and after the upload, the upload's files, the job summary, the step
// outputs, and failures kept for after the outputs (a failed upload, a cancel).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseFlags } from '../../src/config/parse.js';
import type { UploadOptions, UploadResult } from '../../src/github/artifacts/upload.js';
import { githubInputs } from '../../src/github/flow.js';
import { Publish } from '../../src/action/publish.js';
import { lineLogger } from '../../src/util/logger.js';
import { fakeRun } from '../train/fake-run.js';

const flags = parseFlags({ save_checkpoints: 'best', retention_days: '3' }, 'action');

function publisher(upload: (o: UploadOptions) => Promise<UploadResult>) {
  const summaries: string[] = [];
  const uploads: { name: string; files: string[]; report: string }[] = [];
  const p = new Publish({
    flags,
    inputs: githubInputs(flags),
    before: { train: true, overlay: {} },
    log: lineLogger(() => {}),
    summary: async (m) => void summaries.push(m),
    upload: async (o) => {
      // report.md is already written when the upload reads the files
      uploads.push({
        name: o.name,
        files: o.files.map((f) => relative(o.rootDir, f)).sort(),
        report: readFileSync(`${o.rootDir}/report.md`, 'utf8'),
      });
      return upload(o);
    },
  });
  return { p, summaries, uploads };
}

const ok = async (o: UploadOptions): Promise<UploadResult> => ({
  id: 77,
  size: 1,
  name: o.name,
  url: 'https://github.com/o/r/actions/runs/1/artifacts/77',
  files: o.files.map((f) => relative(o.rootDir, f)),
});

test('after the run: report.md in the artifact, then with its link in the summary; the outputs', async () => {
  const { p, summaries, uploads } = publisher(ok);
  const r = await fakeRun({ maxEpochs: 2, valLoss: [0.5, 0.4], defaults: { report: false }, extra: [p] });
  const result = await r.finish();
  expect(uploads).toHaveLength(1);
  const files = uploads[0].files;
  expect(files).toEqual(
    expect.arrayContaining(['metrics.jsonl', 'report.md', 'checkpoints/epoch-2/trainer_state.json']),
  );
  expect(files.some((f) => f.startsWith('tensorboard/train/'))).toBe(true);
  expect(files.some((f) => f.startsWith('checkpoints/epoch-1/'))).toBe(false); // save_checkpoints best: epoch 2 (sampleMetrics)
  // the uploaded report lists the artifact's files but cannot link it yet; the summary links it
  expect(uploads[0].report).toContain('checkpoints/epoch-2/');
  expect(uploads[0].report).not.toContain('artifacts/77');
  expect(summaries).toEqual([readFileSync(result.reportPath, 'utf8')]);
  expect(summaries[0]).toContain('(https://github.com/o/r/actions/runs/1/artifacts/77)');
  expect(p.outcome).toEqual({
    outputs: expect.objectContaining({
      artifact_id: '77',
      artifact_url: 'https://github.com/o/r/actions/runs/1/artifacts/77',
      checkpoint_dir: result.checkpointDir,
      report_path: result.reportPath,
      accuracy: String(result.metrics.test!.accuracy),
      hub_commit_url: '',
    }),
    failure: undefined,
  });
});

test('a failed upload: the summary says so and where the results are, the outputs are set, the step fails after', async () => {
  const { p, summaries } = publisher(async () => Promise.reject(new Error('artifact service 403')));
  const r = await fakeRun({ maxEpochs: 1, defaults: { report: false }, extra: [p] });
  await r.finish();
  // (the report shows local paths by their last names)
  expect(summaries[0]).toContain(
    'The artifact upload failed: artifact service 403. Training finished and every result is on the runner in',
  );
  expect(p.outcome!.outputs).toMatchObject({ artifact_id: '', artifact_url: '' });
  expect((p.outcome!.failure as Error).message).toBe('artifact service 403');
});

test('a cancelled run is uploaded, then fails the step saying how to resume', async () => {
  const { p, uploads } = publisher(ok);
  const r = await fakeRun({ cancelAtStep: 3, defaults: { report: false }, extra: [p] });
  const result = await r.finish();
  expect(uploads[0].files).toEqual(expect.arrayContaining(['checkpoints/interrupted/trainer_state.json']));
  expect((p.outcome!.failure as Error).message).toBe(
    `training was cancelled at step 3; checkpoint ${result.checkpointDir} was uploaded as artifact ${uploads[0].name}; resume with resume_from`,
  );
});

test('removed from the callbacks, nothing is published', async () => {
  const { p, summaries, uploads } = publisher(ok);
  const r = await fakeRun({ maxEpochs: 1, defaults: { report: false } });
  await r.finish();
  expect([p.outcome, summaries, uploads]).toEqual([undefined, [], []]);
});
