// `/train max_epochs=2` end to end below the action entry: the comment event is checked against the
// GitHub fake, the accepted flags drive a real training run (demo tiny BERT on ONNX Runtime), the
// baseline comes from a default-branch run's metrics artifact, and the sticky PR comment shows
// 2 epochs and the deltas. A read-only user's identical comment is refused and trains nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { metricsFile } from '../fixtures.js';
import { parseFlags } from '../../../src/config/parse.js';
import { prepareDemo } from '../../../src/demo/prepare.js';
import { lineLogger } from '../../../src/util/logger.js';
import { runTraining } from '../../../src/train/run.js';
import type { RunContext, IssueCommentPayload } from '../../../src/github/events.js';
import type { MetricsFile } from '../../../src/metrics/types.js';

let fake: GitHubFake;
let root: string;
let demo: Record<string, string>;
let flow: typeof import('../../../src/github/flow.js');
let getOctokit: typeof import('@actions/github').getOctokit;
const PR = 21;
const HEAD = '9'.repeat(40);
const WF = 808;

useGitHubFake(async (f) => {
  fake = f;
  flow = await import('../../../src/github/flow.js');
  ({ getOctokit } = await import('@actions/github'));
  root = mkdtempSync(join(tmpdir(), 'textclf-chatops-e2e-'));
  demo = await prepareDemo(join(root, 'demo'), 42);
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
});

function commentEvent(login: string, body: string): IssueCommentPayload {
  const c = fake.addComment(PR, body, fake.user(login));
  return {
    action: 'created',
    comment: { id: c.id, body, user: { login, type: 'User' } },
    issue: { number: PR, pull_request: { url: 'x' } },
  };
}

/** What the action's main does for `mode: train` on an issue_comment event, minus @actions/core. */
async function onComment(payload: IssueCommentPayload, runId: number, trainings: MetricsFile[]) {
  const octokit = getOctokit(fake.token, { baseUrl: fake.url });
  const repo = { owner: fake.owner, repo: fake.repo };
  const ctx: RunContext = {
    eventName: 'issue_comment',
    payload: payload as unknown as Record<string, unknown>,
    repo,
    runId,
    runAttempt: 1,
    workflow: 'textclf /train',
    job: 'train',
    sha: 'd'.repeat(40),
    ref: 'refs/heads/main',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  const deps = { octokit, token: fake.token, ctx };
  // The workflow's inputs (here max_epochs: 5); the comment's flags are laid over them.
  const inputs = {
    ...demo,
    max_epochs: '5',
    batch_size: '16',
    limit_train_batches: '6',
    learning_rate: '0.001',
    warmup_steps: '2',
    max_length: '32',
    dropout: '0',
    seed: '3',
    output_dir: join(root, `run-${runId}`),
    fail_on_regression: '0.5',
    comment: 'auto',
  };
  const gh = flow.githubInputs(parseFlags(inputs, 'action'));
  const before = await flow.beforeTraining(deps, gh);
  if (!before.train) return { before };
  const flags = parseFlags({ ...inputs, ...before.overlay }, 'action');
  let result;
  try {
    result = await runTraining(flags, { log: lineLogger(() => {}), runFacts: { commit: before.sha } });
  } catch (e) {
    await flow.trainingFailed(deps, before);
    throw e;
  }
  trainings.push(result.metrics);
  const after = await flow.afterTraining(deps, gh, before, {
    metrics: result.metrics,
    reportMarkdown: readFileSync(result.reportPath, 'utf8'),
  });
  return { before, after };
}

test("Must show: a writer's /train max_epochs=2 trains 2 epochs and the sticky comment shows them with baseline deltas", async () => {
  fake.permissions.set('writer', 'write');
  fake.pulls.set(PR, {
    number: PR,
    head_sha: HEAD,
    head_ref: 'better-model',
    head_repo: fake.fullName,
    base_ref: 'main',
    user: fake.user('writer'),
  });
  const base = fake.addRun({ workflow_id: WF, head_sha: 'e'.repeat(40) });
  fake.addArtifact(base.id, `textclf-${base.id}-1`, { 'metrics.json': JSON.stringify(metricsFile([0.35, 0.4])) });
  const current = fake.addRun({
    workflow_id: WF,
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    created_at: new Date().toISOString(),
  });

  const trainings: MetricsFile[] = [];
  const payload = commentEvent('writer', '/train max_epochs=2');
  const { before, after } = await onComment(payload, current.id, trainings);
  expect(before).toMatchObject({ train: true, sha: HEAD, overlay: { max_epochs: '2' } });
  const report = after;
  expect(trainings).toHaveLength(1);
  const m = trainings[0];
  expect(m.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  expect(m.run.flags.max_epochs).toBe(2);

  expect(report!.baseline?.run.id).toBe(base.id);
  const sticky = fake.commentsOn(PR).find((c) => c.id === report!.commentId)!;
  expect(sticky.body).toContain('Trained commit `9999999` · **2 epochs**');
  expect(sticky.body).toContain('[main @ eeeeeee](https://github.com/octo-org/textclf-demo/actions/runs/');
  const acc = m.test!.accuracy;
  expect(acc).toBeGreaterThan(0.4); // the baseline is worse than chance, so the delta is a rise
  expect(sticky.body).toContain(
    `| accuracy | ${(acc * 100).toFixed(2)}% | 40.00% | ▲ +${((acc - 0.4) * 100).toFixed(2)} pp 🟢 |`,
  );
  expect(sticky.body).toMatch(/\| F1 \(macro\) \| [\d.]+% \| 39\.00% \| [▲▼=]/);
  expect(sticky.body).toMatch(/\| loss \| [\d.]+ \| 0\.6000 \| [▲▼=]/);
  expect(sticky.body).toContain('Requested by @writer with `/train`: max\\_epochs=2');
  expect(sticky.body).toContain('<details><summary>Full report</summary>'); // the run's report.md, collapsed
  expect(fake.reactionsOn(payload.comment.id)).toEqual(['eyes', 'rocket']);

  // A read-only user's identical comment: refusal reply, 👎, no training, sticky comment untouched.
  fake.permissions.set('reader', 'read');
  const stickyBefore = sticky.body;
  const refused = commentEvent('reader', '/train max_epochs=2');
  const second = await onComment(refused, current.id, trainings);
  expect(second.before).toMatchObject({ train: false, reason: 'reader has read permission' });
  expect(trainings).toHaveLength(1);
  expect(fake.reactionsOn(refused.comment.id)).toEqual(['-1']);
  expect(fake.commentsOn(PR).at(-1)!.body).toContain('@reader `/train` needs write, maintain or admin permission');
  expect(fake.commentsOn(PR).find((c) => c.id === report!.commentId)!.body).toBe(stickyBefore);
});
