// Whether the action pushes to the Hugging Face Hub on this event. A model on the Hub is a release:
// push_to_hub: true pushes only what the default branch trained on push, schedule and
// workflow_dispatch events; `always` pushes on any event. Code from a fork never pushes (its pull
// request, or a /train on it): the Hub token is the repository's secret, not the fork's.
import type { RunContext } from './events.js';

export interface HubPushDecision {
  push: boolean;
  /** Why not, when push_to_hub asked for it. */
  reason?: string;
}

const RELEASE_EVENTS = new Set(['push', 'schedule', 'workflow_dispatch']);

/**
 * `setting` is push_to_hub (true | false | 'always'); `ctx` the run's context (undefined outside
 * GitHub); `headRepo` the owner/name a /train comment's pull request comes from, when known.
 */
export function hubPushDecision(
  setting: boolean | 'always',
  ctx: Pick<RunContext, 'eventName' | 'payload' | 'repo' | 'ref'> | undefined,
  headRepo?: string,
): HubPushDecision {
  if (setting === false) return { push: false };
  if (!ctx)
    return setting === 'always'
      ? { push: true }
      : {
          push: false,
          reason: 'no GitHub context, so the default-branch rule cannot be checked (push_to_hub: always pushes anyway)',
        };
  const fork = forkOf(ctx, headRepo);
  if (fork !== undefined)
    return {
      push: false,
      reason: `the ${ctx.eventName} event trains code from ${fork ? `the fork ${fork}` : 'a pull request whose repository is unknown'}; pull requests from forks never push to the Hub`,
    };
  if (setting === 'always') return { push: true };
  if (!RELEASE_EVENTS.has(ctx.eventName))
    return {
      push: false,
      reason: `push_to_hub pushes on push, schedule and workflow_dispatch events of the default branch, not on ${ctx.eventName} (push_to_hub: always pushes on any event but pull requests from forks)`,
    };
  // Scheduled runs always run on the default branch's latest commit.
  if (ctx.eventName === 'schedule') return { push: true };
  const main = ctx.payload?.repository?.default_branch as string | undefined;
  if (!main)
    return {
      push: false,
      reason: `the ${ctx.eventName} event does not say which branch is the default one (push_to_hub: always pushes anyway)`,
    };
  if (ctx.ref !== `refs/heads/${main}`)
    return {
      push: false,
      reason: `${ctx.ref || 'this ref'} is not the default branch ${main} (push_to_hub: always pushes from any branch)`,
    };
  return { push: true };
}

/**
 * The fork a run trains code from: its owner/name, '' when a pull request's head repository is
 * unknown or deleted, undefined when the code is this repository's.
 */
function forkOf(ctx: Pick<RunContext, 'eventName' | 'payload' | 'repo'>, headRepo?: string): string | undefined {
  const self = `${ctx.repo.owner}/${ctx.repo.repo}`;
  if (ctx.eventName.startsWith('pull_request')) {
    const head = ctx.payload?.pull_request?.head?.repo?.full_name as string | undefined;
    return head === self ? undefined : (head ?? '');
  }
  if (ctx.eventName === 'issue_comment' && ctx.payload?.issue?.pull_request)
    return headRepo === self ? undefined : (headRepo ?? '');
  return undefined;
}
