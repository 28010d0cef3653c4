// The sticky comment is found again whoever the token is: a personal access token's user (GET
// /user), or github-actions[bot] for the workflow's GITHUB_TOKEN (GET /user: 403). Reproduced
// against the REST fake, whose tokens are identities as on GitHub.
import type { GitHubFake } from '../helpers/github-fake.js';
import { useGitHubFake } from './api-env.js';
import { metricsFile } from './fixtures.js';
import { parseFlags } from '../../src/config/parse.js';
import type { RunContext } from '../../src/github/events.js';

let fake: GitHubFake;
let flow: typeof import('../../src/github/flow.js');
let identity: typeof import('../../src/github/identity.js');
let getOctokit: typeof import('@actions/github').getOctokit;
const PR = 11;
const PAT = 'ghp_patOfTheCiUser00000000000000000000';

useGitHubFake(async (f) => {
  fake = f;
  flow = await import('../../src/github/flow.js');
  identity = await import('../../src/github/identity.js');
  ({ getOctokit } = await import('@actions/github'));
  fake.addUserToken(PAT, 'ci-user');
  fake.permissions.set('ci-user', 'write');
  fake.pulls.set(PR, {
    number: PR,
    head_sha: 'b2'.repeat(20),
    head_ref: 'y',
    head_repo: fake.fullName,
    base_ref: 'main',
    user: fake.user('ci-user'),
  });
});

function deps(token: string, eventName: string, payload: Record<string, unknown>) {
  const run = fake.addRun({ workflow_id: 9, event: eventName, status: 'in_progress', conclusion: null });
  const ctx: RunContext = {
    eventName,
    payload,
    repo: { owner: fake.owner, repo: fake.repo },
    runId: run.id,
    runAttempt: 1,
    workflow: 'wf',
    job: 'j',
    sha: 'c'.repeat(40),
    ref: `refs/pull/${PR}/merge`,
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  return { octokit: getOctokit(token, { baseUrl: fake.url }), token, ctx };
}
const inputs = () => flow.githubInputs(parseFlags({}, 'action'));
const prEvent = { pull_request: { number: PR, head: { sha: 'b2'.repeat(20) } } };
const stickies = () => fake.commentsOn(PR).filter((c) => c.body.startsWith('<!-- textclf-sticky:'));

test('tokenLogin: a PAT is its user; the GITHUB_TOKEN is github-actions[bot]; an unknown answer is undefined', async () => {
  expect(await identity.tokenLogin(getOctokit(PAT, { baseUrl: fake.url }))).toBe('ci-user');
  expect(await identity.tokenLogin(getOctokit(fake.token, { baseUrl: fake.url }))).toBe('github-actions[bot]');
  const asked = fake.requests.filter((r) => r.operationId === 'users/get-authenticated');
  expect(asked.map((r) => r.status)).toEqual([200, 403]);
  fake.inject({ operationId: 'users/get-authenticated', status: 502 });
  expect(await identity.tokenLogin(getOctokit(fake.token, { baseUrl: fake.url }))).toBeUndefined();
  // An unknown token is not anybody, as on GitHub.
  await expect(getOctokit('ghp_nobody', { baseUrl: fake.url }).rest.users.getAuthenticated()).rejects.toMatchObject({
    status: 401,
    message: expect.stringMatching(/Bad credentials/),
  });
});

test.each([
  ['a personal access token', () => PAT, 'ci-user', 'User'],
  ['the GITHUB_TOKEN', () => fake.token, 'github-actions[bot]', 'Bot'],
])('with %s, a second run edits the first run’s sticky comment', async (_what, token, login, type) => {
  for (const c of stickies()) fake.comments.splice(fake.comments.indexOf(c), 1);
  const first = await flow.afterTraining(
    deps(token(), 'pull_request', prEvent),
    inputs(),
    { train: true, overlay: {} },
    {
      metrics: metricsFile([0.7, 0.8]),
    },
  );
  const second = await flow.afterTraining(
    deps(token(), 'pull_request', prEvent),
    inputs(),
    { train: true, overlay: {} },
    {
      metrics: metricsFile([0.8, 0.9]),
    },
  );
  expect(stickies()).toHaveLength(1);
  expect(second.commentId).toBe(first.commentId);
  expect(stickies()[0]!.user).toMatchObject({ login, type });
  expect(stickies()[0]!.body).toContain('90.00%');
});

test('someone else quoting our marker is never edited, whoever the token is', async () => {
  for (const c of stickies()) fake.comments.splice(fake.comments.indexOf(c), 1);
  const d = deps(PAT, 'pull_request', prEvent);
  const marker = (await import('../../src/github/pr/sticky-comment.js')).stickyMarker('wf', 'j');
  const quoted = fake.addComment(PR, `${marker}\nquoted by a reviewer`, fake.user('reviewer'));
  await flow.afterTraining(d, inputs(), { train: true, overlay: {} }, { metrics: metricsFile([0.8]) });
  expect(fake.comments.find((c) => c.id === quoted.id)!.body).toBe(`${marker}\nquoted by a reviewer`);
  expect(stickies().filter((c) => c.user.login === 'ci-user')).toHaveLength(1);
});

test('with a person’s token, that person’s own /train still triggers (our comments are told apart by their marker)', async () => {
  const c = fake.addComment(PR, '/train max_epochs=2', fake.user('ci-user'));
  const payload = {
    action: 'created',
    comment: { id: c.id, body: c.body, user: { login: 'ci-user', type: 'User' } },
    issue: { number: PR, pull_request: { url: 'u' } },
  };
  const { decision } = await flow.chatopsStep(deps(PAT, 'issue_comment', payload), inputs());
  expect(decision).toMatchObject({ kind: 'accepted', actor: 'ci-user' });
});
