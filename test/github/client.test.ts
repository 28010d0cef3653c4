// The action's Octokit (githubClient) against the OpenAPI-validated fake: a secondary rate limit
// with a short Retry-After is waited out and retried (the comment is written once); a long one, or
// one that keeps coming, fails at once with GitHub's own words, and each case is said in the log.
import type { GitHubFake } from '../helpers/github-fake.js';
import { useGitHubFake } from './api-env.js';

let fake: GitHubFake;
let githubClient: typeof import('../../src/github/client.js').githubClient;
useGitHubFake(async (f) => {
  fake = f;
  ({ githubClient } = await import('../../src/github/client.js'));
});

const OP = 'issues/create-comment';
/** Retry-After seconds count as 10 ms each here, so a 30 s limit is waited out in 0.3 s. */
function client(warnings: string[], retryAfterBaseValue = 10) {
  return githubClient(fake.token, { baseUrl: fake.url, warn: (m) => warnings.push(m), retryAfterBaseValue });
}
const comment = (kit: ReturnType<typeof client>, issue: number) =>
  kit.rest.issues.createComment({ owner: fake.owner, repo: fake.repo, issue_number: issue, body: 'hello' });
const statuses = () => fake.requests.filter((q) => q.operationId === OP).map((q) => q.status);

beforeEach(() => {
  fake.requests.length = 0;
  fake.faults.length = 0;
});

test('a secondary rate limit with Retry-After 30 s is waited out and the request retried once', async () => {
  const warnings: string[] = [];
  fake.injectSecondaryRateLimit(OP, 30);
  const t0 = performance.now();
  const r = await comment(client(warnings), 51);
  expect(r.status).toBe(201);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
  expect(statuses()).toEqual([403, 201]);
  expect(fake.commentsOn(51).map((c) => c.body)).toEqual(['hello']);
  expect(warnings).toEqual([
    "GitHub's secondary rate limit on POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 30 s (retry 1 of 2)",
  ]);
});

test('a Retry-After longer than 60 s is not waited for: GitHub’s error comes back at once', async () => {
  const warnings: string[] = [];
  fake.injectSecondaryRateLimit(OP, 120);
  const t0 = performance.now();
  // Real seconds here: waiting out the 120 s would time the test out.
  await expect(comment(client(warnings, 1000), 52)).rejects.toMatchObject({
    status: 403,
    message: expect.stringMatching(/secondary rate limit/),
  });
  expect(performance.now() - t0).toBeLessThan(10_000); // writes queue a second apart (GitHub's advice), no more
  expect(statuses()).toEqual([403]);
  expect(fake.commentsOn(52)).toEqual([]);
  expect(warnings).toEqual([
    "GitHub's secondary rate limit on POST /repos/{owner}/{repo}/issues/{issue_number}/comments: giving up (Retry-After 120 s is longer than 60 s)",
  ]);
});

test('a limit that keeps coming is retried twice, then fails', async () => {
  const warnings: string[] = [];
  fake.injectSecondaryRateLimit(OP, 1, 3);
  await expect(comment(client(warnings), 53)).rejects.toMatchObject({ status: 403 });
  expect(statuses()).toEqual([403, 403, 403]);
  expect(fake.commentsOn(53)).toEqual([]);
  expect(warnings.map((w) => w.replace(/^.*: /, ''))).toEqual([
    'retrying in 1 s (retry 1 of 2)',
    'retrying in 1 s (retry 2 of 2)',
    'giving up (2 retries made)',
  ]);
});

test('no token in the warnings: they name the route template, not the request', async () => {
  const warnings: string[] = [];
  fake.injectSecondaryRateLimit(OP, 1);
  await comment(client(warnings), 54);
  expect(warnings.join('\n')).not.toContain(fake.token);
  expect(warnings.join('\n')).not.toContain('hello');
});
