// Who the action's token acts as, so its own sticky comment is found again (and nobody else's is
// edited). A personal access token is a user: GET /user names it. The workflow's GITHUB_TOKEN (an
// installation token) is not: GitHub answers 403 "Resource not accessible by integration", and
// its comments are by github-actions[bot]. A token of another GitHub App also gets that 403 and
// acts as "<app>[bot]", which this cannot learn; such runs then create a new comment each time.
import type { Octokit } from './events.js';

export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

const known = new WeakMap<Octokit, Promise<string | undefined>>();

/**
 * The login of the token's user (memoised per client). undefined when GitHub cannot tell (a 5xx,
 * a network error, a bad token): callers then accept comments by any bot as their own.
 */
export function tokenLogin(octokit: Octokit): Promise<string | undefined> {
  let p = known.get(octokit);
  if (!p) {
    p = octokit.rest.users.getAuthenticated().then(
      ({ data }) => data.login,
      (e: { status?: number; message?: string }) =>
        e.status === 403 && /not accessible by integration/i.test(e.message ?? '') ? ACTIONS_BOT_LOGIN : undefined,
    );
    known.set(octokit, p);
  }
  return p;
}
