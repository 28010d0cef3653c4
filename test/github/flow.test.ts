// The GitHub steps in the order main calls them, on the fake: chatops outputs, plan outputs,
// /train reactions on success/failure/gates, and the scheduled-run issue.
import type { GitHubFake } from '../helpers/github-fake.js';
import { useGitHubFake } from './api-env.js';
import { metricsFile } from './fixtures.js';
import { parseFlags } from '../../src/config/parse.js';
import type { RunContext } from '../../src/github/events.js';

let fake: GitHubFake;
let flow: typeof import('../../src/github/flow.js');
let getOctokit: typeof import('@actions/github').getOctokit;
const PR = 3;

useGitHubFake(async (f) => {
  fake = f;
  flow = await import('../../src/github/flow.js');
  ({ getOctokit } = await import('@actions/github'));
  fake.permissions.set('writer', 'admin');
  fake.pulls.set(PR, {
    number: PR,
    head_sha: 'a1'.repeat(20),
    head_ref: 'x',
    head_repo: fake.fullName,
    base_ref: 'main',
    user: fake.user('writer'),
  });
});

function deps(eventName: string, payload: Record<string, unknown>, runId: number) {
  const ctx: RunContext = {
    eventName,
    payload,
    repo: { owner: fake.owner, repo: fake.repo },
    runId,
    runAttempt: 1,
    workflow: 'wf',
    job: 'j',
    sha: 'c'.repeat(40),
    ref: 'refs/heads/main',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  return { octokit: getOctokit(fake.token, { baseUrl: fake.url }), token: fake.token, ctx };
}
const inputs = (raw: Record<string, string> = {}) => flow.githubInputs(parseFlags(raw, 'action'));
function comment(body: string) {
  const c = fake.addComment(PR, body, fake.user('writer'));
  return {
    action: 'created',
    comment: { id: c.id, body, user: { login: 'writer', type: 'User' } },
    issue: { number: PR, pull_request: { url: 'u' } },
  };
}

test('githubInputs reads the schema inputs with their defaults', () => {
  expect(inputs()).toEqual({
    comment: 'auto',
    allowForks: false,
    minAccuracy: undefined,
    failOnRegression: undefined,
    sweep: undefined,
    artifactName: undefined,
    scheduleIssues: true,
  });
  expect(inputs({ comment: 'never', allow_forks: 'true', min_accuracy: '0.9', fail_on_regression: '0' })).toMatchObject(
    { comment: 'never', allowForks: true, minAccuracy: 0.9, failOnRegression: 0 },
  );
  expect(() => parseFlags({ comment: 'sometimes' }, 'action')).toThrow(
    "--comment: 'sometimes' is not valid; expected one of auto, always, never",
  );
});

test('chatops step: outputs for the workflow; other events are not accepted', async () => {
  const run = fake.addRun({ workflow_id: 1 });
  const { outputs } = await flow.chatopsStep(deps('issue_comment', comment('/train max_epochs=4'), run.id), inputs());
  expect(outputs).toMatchObject({
    accepted: 'true',
    flags: '{"max_epochs":4}',
    head_sha: 'a1'.repeat(20),
    pr_number: String(PR),
  });
  const push = await flow.chatopsStep(deps('push', {}, run.id), inputs());
  expect(push.outputs).toMatchObject({ accepted: 'false', reason: 'event push is not issue_comment' });
});

test('plan step: matrix JSON and count; a missing sweep names the input', () => {
  const { outputs } = flow.planStep(inputs({ sweep: 'learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]"' }));
  expect(JSON.parse(outputs.matrix).include).toHaveLength(4);
  expect(outputs.trials).toBe('4');
  expect(() => flow.planStep(inputs())).toThrow('mode: plan needs the sweep input');
});

test('/train whose run fails a gate gets 😕; a thrown training gets 😕; a good one 🚀', async () => {
  const run = fake.addRun({ workflow_id: 2, event: 'issue_comment', status: 'in_progress', conclusion: null });
  const gh = inputs({ min_accuracy: '0.9' });
  const p1 = comment('/train');
  const d1 = deps('issue_comment', p1, run.id);
  const b1 = await flow.beforeTraining(d1, gh);
  if (!b1.train) throw new Error('expected to train');
  const a1 = await flow.afterTraining(d1, gh, b1, { metrics: metricsFile([0.7, 0.8]) });
  expect(a1.failures.map((f) => f.message)).toEqual(['min_accuracy: accuracy 80.00% is below 90.00% by 10.00 pp']);
  expect(fake.reactionsOn(p1.comment.id)).toEqual(['eyes', 'confused']);

  const p2 = comment('/train');
  const d2 = deps('issue_comment', p2, run.id);
  const b2 = await flow.beforeTraining(d2, gh);
  if (!b2.train) throw new Error('expected to train');
  await flow.trainingFailed(d2, b2);
  expect(fake.reactionsOn(p2.comment.id)).toEqual(['eyes', 'confused']);

  const p3 = comment('/train');
  const d3 = deps('issue_comment', p3, run.id);
  const b3 = await flow.beforeTraining(d3, gh);
  if (!b3.train) throw new Error('expected to train');
  await flow.afterTraining(d3, gh, b3, { metrics: metricsFile([0.9, 0.95]) });
  expect(fake.reactionsOn(p3.comment.id)).toEqual(['eyes', 'rocket']);
});

test('schedule: a failing gate opens the issue, a passing run closes it; no PR comment', async () => {
  const gh = inputs({ min_accuracy: '0.9' });
  const bad = fake.addRun({ workflow_id: 3, event: 'schedule', status: 'in_progress', conclusion: null });
  const d = deps('schedule', {}, bad.id);
  const a = await flow.afterTraining(d, gh, { train: true, overlay: {} }, { metrics: metricsFile([0.5]) });
  expect(a.issue).toMatchObject({ created: true });
  expect(a.commentId).toBeUndefined();
  const good = fake.addRun({ workflow_id: 3, event: 'schedule', status: 'in_progress', conclusion: null });
  const b = await flow.afterTraining(
    deps('schedule', {}, good.id),
    gh,
    { train: true, overlay: {} },
    { metrics: metricsFile([0.95]) },
  );
  expect(b.issue).toEqual({ number: a.issue!.number, created: false, closed: true });
  expect(fake.issues.find((i) => i.number === a.issue!.number)!.state).toBe('closed');
});
