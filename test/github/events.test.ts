// The run context from the runner's environment, and which PR / commit a run reports on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFromEnv, pullRequestNumber, runUrl, EventError } from '../../src/github/events.js';
import { trainedSha } from '../../src/github/pr/pr-report.js';

const eventRoot = mkdtempSync(join(tmpdir(), 'textclf-events-'));
afterAll(() => rmSync(eventRoot, { recursive: true, force: true }));
let events = 0;
const eventFile = (payload: unknown) => {
  const f = join(eventRoot, `event-${++events}.json`);
  writeFileSync(f, JSON.stringify(payload));
  return f;
};

const env = (over: Record<string, string>) => ({
  GITHUB_REPOSITORY: 'octo-org/textclf-demo',
  GITHUB_RUN_ID: '123',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_WORKFLOW: 'textclf',
  GITHUB_JOB: 'train',
  GITHUB_SHA: 'm'.repeat(40),
  GITHUB_REF: 'refs/pull/7/merge',
  ...over,
});

test('pull_request: the PR number and its head commit (not the merge commit)', () => {
  const ctx = contextFromEnv(
    env({
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile({ number: 7, pull_request: { number: 7, head: { sha: 'h'.repeat(40) } } }),
    }),
  );
  expect(ctx).toMatchObject({
    eventName: 'pull_request',
    repo: { owner: 'octo-org', repo: 'textclf-demo' },
    runId: 123,
    runAttempt: 2,
    workflow: 'textclf',
    job: 'train',
  });
  expect(pullRequestNumber(ctx)).toBe(7);
  expect(trainedSha(ctx)).toBe('h'.repeat(40));
  expect(runUrl(ctx)).toBe('https://github.com/octo-org/textclf-demo/actions/runs/123');
});

test('issue_comment on a PR reports to it; on a plain issue, and on push/schedule, there is no PR', () => {
  const onPr = contextFromEnv(
    env({
      GITHUB_EVENT_NAME: 'issue_comment',
      GITHUB_EVENT_PATH: eventFile({ issue: { number: 9, pull_request: { url: 'u' } } }),
    }),
  );
  expect(pullRequestNumber(onPr)).toBe(9);
  expect(trainedSha(onPr)).toBe('m'.repeat(40));
  const onIssue = contextFromEnv(
    env({ GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: eventFile({ issue: { number: 9 } }) }),
  );
  expect(pullRequestNumber(onIssue)).toBeUndefined();
  expect(pullRequestNumber(contextFromEnv(env({ GITHUB_EVENT_NAME: 'schedule' })))).toBeUndefined();
});

test('a missing variable is a typed error naming it', () => {
  expect(() => contextFromEnv({ GITHUB_EVENT_NAME: 'push' })).toThrow(EventError);
  expect(() => contextFromEnv({ GITHUB_EVENT_NAME: 'push' })).toThrow('GITHUB_REPOSITORY is not set');
});

test('an unreadable or malformed event payload is a typed error naming GITHUB_EVENT_PATH and the file', () => {
  const bad = join(eventRoot, 'broken.json');
  writeFileSync(bad, '{"action": ');
  const run = (path: string) => () => contextFromEnv(env({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path }));
  expect(run(bad)).toThrow(EventError);
  expect(run(bad)).toThrow(`GITHUB_EVENT_PATH ${bad}: invalid JSON`);
  expect(run(join(eventRoot, 'missing.json'))).toThrow(/GITHUB_EVENT_PATH .*missing\.json: cannot read \(ENOENT\)/);
});
