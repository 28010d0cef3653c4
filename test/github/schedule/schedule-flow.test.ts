// Scheduled retraining in the action's flow, on the OpenAPI-validated GitHub fake: a schedule run's
// deltas and gates are computed against the previous scheduled run (not a newer push run on the
// default branch), and the job summary section shows them; datastore_refresh `auto` is per event.
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { metricsFile } from '../fixtures.js';
import { parseFlags } from '../../../src/config/parse.js';
import type { RunContext } from '../../../src/github/events.js';
import { renderComparison } from '../../../src/github/pr/summary-compare.js';

let fake: GitHubFake;
let flow: typeof import('../../../src/github/flow.js');
let sched: typeof import('../../../src/github/schedule.js');
let getOctokit: typeof import('@actions/github').getOctokit;
useGitHubFake(async (f) => {
  fake = f;
  flow = await import('../../../src/github/flow.js');
  sched = await import('../../../src/github/schedule.js');
  ({ getOctokit } = await import('@actions/github'));
});

function deps(eventName: string, runId: number) {
  const ctx: RunContext = {
    eventName,
    payload: {},
    repo: { owner: fake.owner, repo: fake.repo },
    runId,
    runAttempt: 1,
    workflow: 'nightly',
    job: 'train',
    sha: 'c'.repeat(40),
    ref: 'refs/heads/main',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  return { octokit: getOctokit(fake.token, { baseUrl: fake.url }), token: fake.token, ctx };
}
const inputs = (raw: Record<string, string> = {}) => flow.githubInputs(parseFlags(raw, 'action'));
const withMetrics = (run: { id: number }, acc: number) =>
  fake.addArtifact(run.id, `textclf-${run.id}-1`, { 'metrics.json': JSON.stringify(metricsFile([acc])) });

test('a schedule run compares with the previous scheduled run, not the newer push run; the summary shows those deltas', async () => {
  const WF = 77;
  const nightly = fake.addRun({
    workflow_id: WF,
    event: 'schedule',
    head_sha: 'a'.repeat(40),
    created_at: '2026-11-24T03:00:00Z',
  });
  withMetrics(nightly, 0.8);
  const push = fake.addRun({
    workflow_id: WF,
    event: 'push',
    head_sha: 'b'.repeat(40),
    created_at: '2026-11-25T12:00:00Z',
  });
  withMetrics(push, 0.95);
  const gh = inputs({ fail_on_regression: '0.02' });
  const now = fake.addRun({
    workflow_id: WF,
    event: 'schedule',
    status: 'in_progress',
    conclusion: null,
    created_at: '2026-11-26T03:00:00Z',
  });
  const current = metricsFile([0.85]);

  const after = await flow.afterTraining(
    deps('schedule', now.id),
    gh,
    { train: true, overlay: {} },
    { metrics: current },
  );
  expect(after.baselineNote).toBeUndefined();
  expect(after.baseline?.run.id).toBe(nightly.id);
  expect(after.comparedWith).toMatchObject({
    label: `previous scheduled run ${nightly.id} @ aaaaaaa`,
    metrics: { accuracy: 0.8, source: 'test' },
  });
  expect(after.failures).toEqual([]); // +5 pp against the nightly; against the push run it would be -10 pp
  expect(after.issue).toBeUndefined(); // no gate failed and no issue was open
  const listed = fake.requests.filter((r) => r.operationId === 'actions/list-workflow-runs').at(-1)!;
  expect(listed.path).toContain('event=schedule');

  const md = renderComparison({
    metrics: current,
    comparedWith: after.comparedWith,
    note: after.baselineNote,
    gates: after.failures,
    scheduled: true,
  });
  expect(md).toContain('## Compared with the previous scheduled run');
  expect(md).toContain(
    `| test | this run | [previous scheduled run ${nightly.id} @ aaaaaaa](https://github.com/${fake.fullName}/actions/runs/${nightly.id}) | Δ |`,
  );
  expect(md).toContain('| accuracy | 85.00% | 80.00% | ▲ +5.00 pp 🟢 |');
  expect(md).toContain('| loss | 0.3750 | 0.4000 | ▼ −0.0250 🟢 |');
  expect(md).toContain('✅ Quality gates passed.');

  // The same metrics from a push run are compared with the default-branch baseline (the push run) and fail the gate.
  const pushNow = fake.addRun({
    workflow_id: WF,
    event: 'push',
    status: 'in_progress',
    conclusion: null,
    created_at: '2026-11-26T04:00:00Z',
  });
  const onPush = await flow.afterTraining(
    deps('push', pushNow.id),
    gh,
    { train: true, overlay: {} },
    { metrics: current },
  );
  expect(onPush.baseline?.run.id).toBe(push.id);
  expect(onPush.failures.map((f) => f.message)).toContain(
    `fail_on_regression: accuracy dropped by 10.00 pp (95.00% → 85.00%) against main @ bbbbbbb, more than the tolerance of 2.00 pp`,
  );
});

test('the first scheduled run has nothing to compare with: the summary says why; a failing gate opens the issue', async () => {
  const WF = 78;
  fake.addRun({ workflow_id: WF, event: 'push', created_at: '2026-11-25T12:00:00Z' });
  const first = fake.addRun({ workflow_id: WF, event: 'schedule', status: 'in_progress', conclusion: null });
  const current = metricsFile([0.6]);
  const after = await flow.afterTraining(
    deps('schedule', first.id),
    inputs({ min_accuracy: '0.9' }),
    { train: true, overlay: {} },
    { metrics: current },
  );
  expect(after.comparedWith).toBeUndefined();
  expect(after.baselineNote).toBe('no successful run of this workflow on the default branch (event schedule)');
  expect(after.issue).toMatchObject({ created: true });
  const md = renderComparison({ metrics: current, note: after.baselineNote, gates: after.failures, scheduled: true });
  expect(md).toContain(
    '_Nothing to compare with: no successful run of this workflow on the default branch \\(event schedule\\)._',
  );
  expect(md).toContain('❌ Quality gates failed:\n- min\\_accuracy: accuracy 60\\.00% is below 90\\.00% by 30\\.00 pp');
});

test('datastore_refresh auto checks the source on schedule events only; always/never are taken as given', () => {
  expect(sched.datastoreRefreshFor('auto', 'schedule')).toBe('always');
  expect(sched.datastoreRefreshFor('auto', 'push')).toBe('never');
  expect(sched.datastoreRefreshFor('auto', undefined)).toBe('never');
  expect(sched.datastoreRefreshFor('always', 'push')).toBe('always');
  expect(sched.datastoreRefreshFor('never', 'schedule')).toBe('never');
  expect(parseFlags({}, 'action').datastore_refresh).toBe('auto');
  expect(() => parseFlags({ datastore_refresh: 'sometimes' }, 'action')).toThrow(
    "--datastore_refresh: 'sometimes' is not valid; expected one of auto, always, never",
  );
});
