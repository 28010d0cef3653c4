// Baseline lookup (REST runs + @actions/artifact download by run id), deltas, gates and the sticky
// PR comment, all against the OpenAPI-validated fake.
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { metricsFile } from '../fixtures.js';
import { finalMetrics } from '../../../src/github/pr/compare.js';
import { evaluateGates, QualityGateError } from '../../../src/github/pr/gates.js';
import {
  MAX_BODY_CHARS,
  renderStickyBody,
  shouldComment,
  stickyMarker,
  upsertStickyComment,
} from '../../../src/github/pr/sticky-comment.js';

let fake: GitHubFake;
let baselineMod: typeof import('../../../src/github/pr/baseline.js');
let runArtifacts: typeof import('../../../src/github/artifacts/run-artifacts.js');
let getOctokit: typeof import('@actions/github').getOctokit;
const WF = 4242;
const PR = 12;

useGitHubFake(async (f) => {
  fake = f;
  // So these are imported only now, never statically at the top of this file.
  baselineMod = await import('../../../src/github/pr/baseline.js');
  runArtifacts = await import('../../../src/github/artifacts/run-artifacts.js');
  ({ getOctokit } = await import('@actions/github'));
});

const repo = () => ({ owner: fake.owner, repo: fake.repo });
/** A pull_request run of the workflow `textclf` / job `train` on PR `pr`. */
const prCtx = (runId: number, pr: number) => ({
  eventName: 'pull_request',
  payload: { pull_request: { number: pr, head: { sha: '9'.repeat(40) } } },
  repo: repo(),
  runId,
  runAttempt: 1,
  workflow: 'textclf',
  job: 'train',
  sha: '8'.repeat(40),
  ref: `refs/pull/${pr}/merge`,
  serverUrl: 'https://github.com',
  apiUrl: fake.url,
});
const octokit = () => getOctokit(fake.token, { baseUrl: fake.url });

function seedRuns() {
  const old = fake.addRun({ workflow_id: WF, head_sha: '1'.repeat(40), created_at: '2026-11-20T10:00:00Z' });
  fake.addArtifact(old.id, `textclf-${old.id}-1`, { 'metrics.json': JSON.stringify(metricsFile([0.7, 0.74])) });
  const good = fake.addRun({ workflow_id: WF, head_sha: '2'.repeat(40), created_at: '2026-11-24T10:00:00Z' });
  fake.addArtifact(good.id, 'model-onnx', { 'model.onnx': Buffer.from([8, 7, 18]) });
  fake.addArtifact(good.id, `textclf-${good.id}-1`, {
    'runs/textclf/metrics.json': JSON.stringify(metricsFile([0.78, 0.8])),
    'runs/textclf/epoch-1/metrics.json': '{"not":"this one"}',
  });
  fake.addRun({ workflow_id: WF, head_sha: '3'.repeat(40), created_at: '2026-11-25T10:00:00Z', conclusion: 'failure' });
  fake.addRun({
    workflow_id: WF,
    head_sha: '4'.repeat(40),
    created_at: '2026-11-25T11:00:00Z',
    head_branch: 'feature',
  });
  fake.addRun({ workflow_id: 999, head_sha: '5'.repeat(40), created_at: '2026-11-25T12:00:00Z' });
  const current = fake.addRun({
    workflow_id: WF,
    head_sha: '6'.repeat(40),
    head_branch: 'feature',
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    created_at: '2026-11-26T00:00:00Z',
  });
  return { good, current };
}

test('the baseline is the latest successful default-branch run of the same workflow, metrics from its artifact', async () => {
  const { good, current } = seedRuns();
  const got = await baselineMod.loadBaseline(octokit(), { token: fake.token, repo: repo() }, { runId: current.id });
  expect(got.baseline?.run).toMatchObject({ id: good.id, headSha: '2'.repeat(40), headBranch: 'main' });
  expect(got.baseline?.artifact).toBe(`textclf-${good.id}-1`);
  expect(finalMetrics(got.baseline!.metrics)).toMatchObject({ accuracy: 0.8, source: 'test' });
  // It went through the public REST artifact API: list for the run, then the zip redirect.
  const ops = fake.requests.map((r) => r.operationId);
  expect(ops).toEqual(
    expect.arrayContaining([
      'actions/get-workflow-run',
      'repos/get',
      'actions/list-workflow-runs',
      'actions/list-workflow-run-artifacts',
      'actions/download-artifact',
    ]),
  );
  const listRuns = fake.requests.find((r) => r.operationId === 'actions/list-workflow-runs')!;
  expect(listRuns.path).toContain(`/actions/workflows/${WF}/runs?`);
  expect(listRuns.path).toContain('branch=main');
  expect(listRuns.path).toContain('status=success');
});

test('no baseline: a reason instead of an error', async () => {
  const lonely = fake.addRun({ workflow_id: 77, status: 'in_progress', conclusion: null });
  expect(await baselineMod.loadBaseline(octokit(), { token: fake.token, repo: repo() }, { runId: lonely.id })).toEqual({
    reason: 'no successful run of this workflow on the default branch',
  });
  const bare = fake.addRun({ workflow_id: 77 });
  expect(
    (await baselineMod.loadBaseline(octokit(), { token: fake.token, repo: repo() }, { runId: lonely.id })).reason,
  ).toBe(`run ${bare.id} has no 'textclf*' artifact (expired or not uploaded)`);
});

test('an expired baseline artifact (GitHub: 410 on download) is named as expired; the PR comment is still posted', async () => {
  const r = fake.addRun({ workflow_id: 79 });
  const a = fake.addArtifact(r.id, 'textclf-old', { 'metrics.json': JSON.stringify(metricsFile([0.9])) });
  a.expired = true;
  await expect(
    runArtifacts.fetchRunMetrics({ token: fake.token, repo: repo() }, r.id, { name: 'textclf-old' }),
  ).rejects.toThrow(
    `artifact 'textclf-old' of run ${r.id} has expired (GitHub deletes artifacts after their retention days)`,
  );
  const dl = fake.requests.filter((q) => q.operationId === 'actions/download-artifact').at(-1)!;
  expect(dl.status).toBe(410);

  const prReport = await import('../../../src/github/pr/pr-report.js');
  const current = fake.addRun({ workflow_id: 79, event: 'pull_request', status: 'in_progress', conclusion: null });
  const warnings: string[] = [];
  const got = await prReport.reportToPullRequest({
    octokit: octokit(),
    token: fake.token,
    ctx: prCtx(current.id, 40),
    metrics: metricsFile([0.8]),
    comment: 'auto',
    gates: {},
    warn: (m) => warnings.push(m),
  });
  expect(got.baselineNote).toBe(
    `baseline unavailable: artifact 'textclf-old' of run ${r.id} has expired (GitHub deletes artifacts after their retention days)`,
  );
  expect(warnings).toEqual([got.baselineNote]);
  expect(fake.commentsOn(40).find((c) => c.id === got.commentId)!.body).toContain('_No baseline:');
});

test('GitHub failing the baseline lookup (5xx, 403, 404) leaves a note, never the run without its PR comment', async () => {
  const prReport = await import('../../../src/github/pr/pr-report.js');
  for (const [status, op] of [
    [502, 'actions/list-workflow-runs'],
    [403, 'actions/get-workflow-run'],
    [404, 'actions/list-workflow-run-artifacts'],
  ] as const) {
    const current = fake.addRun({ workflow_id: 80, event: 'pull_request', status: 'in_progress', conclusion: null });
    fake.addRun({ workflow_id: 80, created_at: '2026-01-01T00:00:00Z' });
    fake.inject({ operationId: op, status, times: 99 }); // @actions/artifact retries its own requests
    const got = await prReport.reportToPullRequest({
      octokit: octokit(),
      token: fake.token,
      ctx: prCtx(current.id, 41),
      metrics: metricsFile([0.8]),
      comment: 'auto',
      gates: {},
    });
    fake.faults.length = 0;
    expect(got.baselineNote).toMatch(/^baseline unavailable: /);
    expect(fake.requests.some((q) => q.operationId === op && q.status === status)).toBe(true);
    expect(got.commentId).toBeDefined();
  }
});

test('a failing comment (secondary rate limit, bad credentials) rejects with GitHub’s words, for the caller to report', async () => {
  const prReport = await import('../../../src/github/pr/pr-report.js');
  const current = fake.addRun({ workflow_id: 81, event: 'pull_request', status: 'in_progress', conclusion: null });
  fake.injectSecondaryRateLimit('issues/create-comment', 30);
  const input = {
    octokit: octokit(),
    token: fake.token,
    ctx: prCtx(current.id, 42),
    metrics: metricsFile([0.8]),
    comment: 'auto' as const,
    gates: {},
  };
  await expect(prReport.reportToPullRequest(input)).rejects.toMatchObject({
    status: 403,
    message: expect.stringMatching(/secondary rate limit/),
    response: { headers: expect.objectContaining({ 'retry-after': '30' }) },
  });
  expect(fake.commentsOn(42)).toEqual([]);
  await expect(
    prReport.reportToPullRequest({ ...input, octokit: getOctokit('ghs_revoked', { baseUrl: fake.url }) }),
  ).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/Bad credentials/) });
  expect(fake.commentsOn(42)).toEqual([]);
});

test('an artifact without metrics.json is a typed error naming the artifact', async () => {
  const r = fake.addRun({ workflow_id: 78 });
  fake.addArtifact(r.id, 'textclf-x', { 'report.md': '# hi' });
  await expect(
    runArtifacts.fetchRunMetrics({ token: fake.token, repo: repo() }, r.id, { name: 'textclf-x' }),
  ).rejects.toThrow(`artifact 'textclf-x' of run ${r.id} has no metrics.json`);
});

test('sticky comment: epochs and ▲/▼ deltas, created once and edited in place', async () => {
  const kit = octokit();
  const current = metricsFile([0.81, 0.83], { flags: { learning_rate: 3e-5 } });
  const base = {
    label: 'main @ 2222222',
    url: 'https://github.com/octo-org/textclf-demo/actions/runs/1',
    metrics: finalMetrics(metricsFile([0.78, 0.8])),
  };
  const gates = evaluateGates(finalMetrics(current), base, { minAccuracy: 0.8, failOnRegression: 0.01 });
  expect(gates).toEqual([]);
  const body = renderStickyBody({
    title: 'textclf / train',
    sha: '6'.repeat(40),
    runUrl: 'https://github.com/octo-org/textclf-demo/actions/runs/9',
    metrics: current,
    baseline: base,
    gates,
    trigger: { actor: 'writer', flags: { max_epochs: 2 } },
    artifacts: [{ name: 'textclf-9-1', url: 'https://github.com/octo-org/textclf-demo/actions/runs/9/artifacts/5' }],
  });
  expect(body).toContain('Trained commit `6666666` · **2 epochs**');
  expect(body).toContain('| accuracy | 83.00% | 80.00% | ▲ +3.00 pp 🟢 |');
  expect(body).toContain('| F1 (macro) | 82.00% | 79.00% | ▲ +3.00 pp 🟢 |');
  expect(body).toContain('| loss | 0.3850 | 0.4000 | ▼ −0.0150 🟢 |');
  expect(body).toContain('✅ Quality gates passed.');
  expect(body).toMatch(/<details><summary>Per-epoch metrics<\/summary>[\s\S]*\| 2 \| 100 \| 0\.5000 \|/);
  expect(body).toContain('Requested by @writer with `/train`: max\\_epochs=2');

  const marker = stickyMarker('textclf', 'train');
  const first = await upsertStickyComment(kit, repo(), PR, marker, body);
  expect(first.created).toBe(true);
  // Someone quoting the marker, and another job's sticky comment, must not be edited.
  fake.addComment(PR, `${marker}\nI am a human quoting it`, fake.user('writer'));
  const other = await upsertStickyComment(kit, repo(), PR, stickyMarker('textclf', 'sweep'), 'other job');
  const second = await upsertStickyComment(kit, repo(), PR, marker, body.replace('83.00%', '84.00%'));
  expect(second).toEqual({ id: first.id, created: false });
  const comments = fake.commentsOn(PR);
  expect(comments).toHaveLength(3);
  expect(comments.find((c) => c.id === first.id)!.body).toContain('| accuracy | 84.00%');
  expect(comments.find((c) => c.id === other.id)!.body).toBe(`${stickyMarker('textclf', 'sweep')}\nother job`);
  expect(comments.filter((c) => c.user.login === 'writer')[0].body).toContain('I am a human');
});

test('sticky comment: found again across pages of comments', async () => {
  const kit = octokit();
  const marker = stickyMarker('wf', 'job');
  const { id } = await upsertStickyComment(kit, repo(), 99, marker, 'v1');
  for (let i = 0; i < 130; i++) fake.addComment(99, `chatter ${i}`, fake.user('writer'));
  expect(await upsertStickyComment(kit, repo(), 99, marker, 'v2')).toEqual({ id, created: false });
  expect(fake.commentsOn(99)).toHaveLength(131);
});

test('regression and min_accuracy gates name the metric and the amount', () => {
  const current = finalMetrics(metricsFile([0.75, 0.76]));
  const base = { label: 'main @ 2222222', metrics: finalMetrics(metricsFile([0.78, 0.8])) };
  const failures = evaluateGates(current, base, { minAccuracy: 0.8, failOnRegression: 0.01 });
  expect(failures.map((f) => f.message)).toEqual([
    'min_accuracy: accuracy 76.00% is below 80.00% by 4.00 pp',
    'fail_on_regression: accuracy dropped by 4.00 pp (80.00% → 76.00%) against main @ 2222222, more than the tolerance of 1.00 pp',
    'fail_on_regression: F1 dropped by 4.00 pp (79.00% → 75.00%) against main @ 2222222, more than the tolerance of 1.00 pp',
  ]);
  expect(new QualityGateError(failures).message.split('\n')).toHaveLength(3);
  expect(evaluateGates(current, base, { failOnRegression: 0.05 })).toEqual([]);
  expect(evaluateGates(current, undefined, { failOnRegression: 0 })).toEqual([]); // no baseline, nothing to regress from
  const body = renderStickyBody({
    title: 't',
    sha: 'abc1234',
    runUrl: 'javascript:alert(1)',
    metrics: metricsFile([0.75, 0.76]),
    baseline: base,
    gates: failures,
  });
  expect(body).toContain('❌ Quality gates failed:');
  expect(body).toContain('| accuracy | 76.00% | 80.00% | ▼ −4.00 pp 🔴 |');
  expect(body).not.toContain('javascript:'); // unsafe link targets are dropped
});

test('without a test split, the per-class scores come from the best validation epoch, like the delta table', () => {
  const body = renderStickyBody({
    title: 't',
    sha: 'abc1234',
    runUrl: 'https://x.test/run',
    metrics: metricsFile([0.7, 0.9, 0.8], { test: false }),
  });
  expect(body).toContain('| accuracy | 90.00% |');
  expect(body).toContain('| negative | 0.8900 | 0.8900 | 0.8900 | 100 |'); // epoch 2, not the last epoch's 0.7900
});

test('untrusted strings in the sticky comment are inert', () => {
  const m = metricsFile([0.5, 0.6], { model: '<img src=x onerror=alert(1)> @octo-org/admins `$(id)`' });
  m.test!.perClass[0].label = '[x](javascript:alert(1))';
  const body = renderStickyBody({
    title: 'wf <b>',
    sha: '$(id)',
    runUrl: 'https://x.test/run',
    metrics: m,
    trigger: { actor: 'a<b>', flags: { text_column: '`rm -rf`' } },
  });
  expect(body).not.toMatch(/<img|<b>|\$\(id\)|@octo-org|\]\(javascript|(^|[^\\])`rm/);
  expect(body).toContain('_No baseline:');
});

test('comment: auto|always|never', () => {
  expect(shouldComment('auto', 'pull_request', 3)).toBe(true);
  expect(shouldComment('auto', 'issue_comment', 3)).toBe(true);
  expect(shouldComment('auto', 'push', 3)).toBe(false);
  expect(shouldComment('always', 'push', 3)).toBe(true);
  expect(shouldComment('always', 'schedule', undefined)).toBe(false);
  expect(shouldComment('never', 'pull_request', 3)).toBe(false);
});

test('reportToPullRequest: comment always finds the open PR of a pushed commit; auto does not comment on push', async () => {
  const prReport = await import('../../../src/github/pr/pr-report.js');
  const sha = '7'.repeat(40);
  fake.pulls.set(31, {
    number: 31,
    head_sha: sha,
    head_ref: 'topic',
    head_repo: fake.fullName,
    base_ref: 'main',
    user: fake.user('writer'),
  });
  const run = fake.addRun({
    workflow_id: 4343,
    event: 'push',
    head_sha: sha,
    head_branch: 'topic',
    status: 'in_progress',
    conclusion: null,
  });
  const ctx = {
    eventName: 'push',
    payload: {},
    repo: repo(),
    runId: run.id,
    runAttempt: 1,
    workflow: 'textclf',
    job: 'train',
    sha,
    ref: 'refs/heads/topic',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  const input = {
    octokit: octokit(),
    token: fake.token,
    ctx,
    metrics: metricsFile([0.6, 0.7]),
    gates: { minAccuracy: 0.9 },
  };
  const auto = await prReport.reportToPullRequest({ ...input, comment: 'auto' });
  expect(auto.commentId).toBeUndefined();
  expect(auto.baselineNote).toBe('no successful run of this workflow on the default branch');
  expect(auto.failures.map((f) => f.gate)).toEqual(['min_accuracy']);
  const always = await prReport.reportToPullRequest({ ...input, comment: 'always' });
  const body = fake.commentsOn(31).find((c) => c.id === always.commentId)!.body;
  expect(body).toContain('Trained commit `7777777` · **2 epochs**');
  expect(body).toContain('❌ Quality gates failed:');
  expect(body).toContain('_No baseline:');
});

test("sticky comment: the full report is embedded once, and nothing exceeds GitHub's comment size limit", () => {
  const m = metricsFile([0.7, 0.8]);
  const base = { title: 't', sha: 'abc1234', runUrl: 'https://x.test/run', metrics: m };
  const small = renderStickyBody({ ...base, reportMarkdown: '## report\n\n| epoch |\n|---|\n| 1 |' });
  expect(small.match(/<summary>Full report<\/summary>/g)).toHaveLength(1);
  expect(small).not.toContain('<summary>Per-epoch metrics</summary>'); // the report has them already

  // A report too long for a comment (many classes: the confusion matrix alone grows quadratically).
  const huge = renderStickyBody({ ...base, reportMarkdown: `| x |\n${'| 0 |\n'.repeat(20_000)}` });
  expect(huge.length).toBeLessThanOrEqual(MAX_BODY_CHARS + 1);
  expect(huge).not.toContain('Full report');
  expect(huge).toContain('<summary>Per-epoch metrics</summary>');
  expect(huge).toContain('The full report is too long for a comment');

  // Even the compact per-class table can be too long: then only the head (metrics, deltas) remains.
  const many = metricsFile([0.7, 0.8]);
  many.test!.perClass = Array.from({ length: 3000 }, (_, i) => ({
    label: `class-${i}`,
    precision: 0.5,
    recall: 0.5,
    f1: 0.5,
    support: 10,
  }));
  const headOnly = renderStickyBody({ ...base, metrics: many, reportMarkdown: 'x'.repeat(70_000) });
  expect(headOnly.length).toBeLessThanOrEqual(MAX_BODY_CHARS + 1);
  expect(headOnly).toContain('| accuracy |');
  expect(headOnly).not.toContain('Per-class scores');
});
