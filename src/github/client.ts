// The Octokit the action talks to GitHub with: GitHub's recommended request throttling (mutating
// requests one at a time, a second apart) and a bounded retry of rate limits, so a busy
// repository's secondary limit costs a short wait instead of the PR comment or the sweep table.
import { getOctokit } from '@actions/github';
import { throttling } from '@octokit/plugin-throttling';
import type { Octokit } from './events.js';

export interface ClientOptions {
  baseUrl: string;
  warn: (message: string) => void;
  /** The longest Retry-After (seconds) worth waiting for; a longer limit fails at once with GitHub's words (default 60). */
  maxWaitSeconds?: number;
  /** Retries per request (default 2). */
  maxRetries?: number;
  /** Milliseconds per second of Retry-After (default 1000; tests shrink it). */
  retryAfterBaseValue?: number;
}

export function githubClient(token: string, o: ClientOptions): Octokit {
  const maxWait = o.maxWaitSeconds ?? 60;
  const maxRetries = o.maxRetries ?? 2;
  const onLimit =
    (kind: 'primary' | 'secondary') =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      // request.url is the route template (/repos/{owner}/{repo}/...): no tokens, no user text.
      const what = `GitHub's ${kind} rate limit on ${request.method} ${request.url}`;
      if (retryCount < maxRetries && retryAfter <= maxWait) {
        o.warn(`${what}: retrying in ${retryAfter} s (retry ${retryCount + 1} of ${maxRetries})`);
        return true;
      }
      const why =
        retryAfter > maxWait ? `Retry-After ${retryAfter} s is longer than ${maxWait} s` : `${maxRetries} retries made`;
      o.warn(`${what}: giving up (${why})`);
      return false;
    };
  return getOctokit(
    token,
    {
      baseUrl: o.baseUrl,
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        ...(o.retryAfterBaseValue !== undefined && { retryAfterBaseValue: o.retryAfterBaseValue }),
      },
    },
    throttling,
  );
}
