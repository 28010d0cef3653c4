// When the action pushes to the Hub: push_to_hub true on push / schedule / workflow_dispatch of the
// default branch only; 'always' on any event; never for a fork's code (its pull_request, or a
// /train on its pull request), not even with 'always'.
import { hubPushDecision } from '../../src/github/hub-push-policy.js';
import type { RunContext } from '../../src/github/events.js';

const repo = { owner: 'acme', repo: 'clf' };
const ctx = (eventName: string, payload: Record<string, unknown>, ref = 'refs/heads/main') =>
  ({ eventName, payload, repo, ref }) as Pick<RunContext, 'eventName' | 'payload' | 'repo' | 'ref'>;
const repository = { full_name: 'acme/clf', default_branch: 'main' };
const pr = (head: string | null) => ({
  pull_request: {
    number: 7,
    head: { sha: 'a', ref: 'f', repo: head && { full_name: head } },
    base: { ref: 'main', repo: { full_name: 'acme/clf' } },
  },
  repository,
});
const comment = { issue: { number: 7, pull_request: { url: 'x' } }, repository };

test.each([
  ['push', { repository }, 'refs/heads/main'],
  ['workflow_dispatch', { repository }, 'refs/heads/main'],
  ['schedule', { schedule: '0 3 * * *' }, 'refs/heads/main'],
])('true pushes on %s of the default branch', (event, payload, ref) => {
  expect(hubPushDecision(true, ctx(event, payload, ref))).toEqual({ push: true });
});

test('true does not push from another branch, on pull requests, or when the default branch is unknown', () => {
  expect(hubPushDecision(true, ctx('push', { repository }, 'refs/heads/feature'))).toEqual({
    push: false,
    reason: 'refs/heads/feature is not the default branch main (push_to_hub: always pushes from any branch)',
  });
  expect(hubPushDecision(true, ctx('pull_request', pr('acme/clf'), 'refs/pull/7/merge')).reason).toBe(
    'push_to_hub pushes on push, schedule and workflow_dispatch events of the default branch, not on pull_request (push_to_hub: always pushes on any event but pull requests from forks)',
  );
  expect(hubPushDecision(true, ctx('issue_comment', comment), 'acme/clf').push).toBe(false);
  expect(hubPushDecision(true, ctx('push', {})).reason).toMatch(/does not say which branch is the default one/);
  expect(hubPushDecision(true, undefined).push).toBe(false);
  expect(hubPushDecision(false, ctx('push', { repository }))).toEqual({ push: false });
});

test("'always' pushes on any event and branch, but never a fork's code", () => {
  expect(hubPushDecision('always', ctx('push', { repository }, 'refs/heads/feature'))).toEqual({ push: true });
  expect(hubPushDecision('always', ctx('pull_request', pr('acme/clf'), 'refs/pull/7/merge'))).toEqual({ push: true });
  expect(hubPushDecision('always', ctx('issue_comment', comment), 'acme/clf')).toEqual({ push: true });
  expect(hubPushDecision('always', undefined)).toEqual({ push: true });
  expect(hubPushDecision('always', ctx('pull_request', pr('mallory/clf'), 'refs/pull/7/merge'))).toEqual({
    push: false,
    reason:
      'the pull_request event trains code from the fork mallory/clf; pull requests from forks never push to the Hub',
  });
  expect(hubPushDecision('always', ctx('pull_request_target', pr(null))).reason).toMatch(/repository is unknown/);
  expect(hubPushDecision('always', ctx('issue_comment', comment), 'mallory/clf').push).toBe(false);
  expect(hubPushDecision('always', ctx('issue_comment', comment)).push).toBe(false); // head unknown: not pushed
});
