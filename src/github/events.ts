// The parts of the runner's context (env + event payload) that ChatOps, comments and baselines read.
// Kept explicit (no global @actions/github context) so tests and the CLI can build one directly.
import type { getOctokit } from '@actions/github';
import { readJsonFile } from '../util/json-file.js';

export type Octokit = ReturnType<typeof getOctokit>;

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface GitHubUserPayload {
  login: string;
  type?: string;
}

export interface IssueCommentPayload {
  action: 'created' | 'edited' | 'deleted' | string;
  comment: { id: number; body?: string | null; user: GitHubUserPayload; performed_via_github_app?: unknown };
  issue: { number: number; pull_request?: { url?: string } | null; user?: GitHubUserPayload };
  repository?: { full_name: string; default_branch?: string };
  sender?: GitHubUserPayload;
}

export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    number: number;
    head: { sha: string; ref: string; repo?: { full_name: string } | null };
    base: { ref: string; repo: { full_name: string } };
  };
}

export interface RunContext {
  eventName: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- webhook payloads are untyped JSON, read defensively
  payload: Record<string, any>;
  repo: RepoRef;
  runId: number;
  runAttempt: number;
  /** Workflow name and job id: together they identify the sticky comment. */
  workflow: string;
  job: string;
  sha: string;
  ref: string;
  serverUrl: string;
  apiUrl: string;
}

export class EventError extends Error {
  override name = 'EventError';
}

/** Reads the standard GITHUB_* variables and the event payload file the runner writes. */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new EventError(`${k} is not set; run inside GitHub Actions or set it explicitly`);
    return v;
  };
  const [owner, repo] = need('GITHUB_REPOSITORY').split('/');
  const path = env.GITHUB_EVENT_PATH;
  const payload = path
    ? (readJsonFile(
        path,
        (m) => new EventError(`GITHUB_EVENT_PATH ${m}`),
        '; it must be the event payload file the runner wrote',
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see RunContext.payload
      ) as Record<string, any>)
    : {};
  return {
    eventName: need('GITHUB_EVENT_NAME'),
    payload,
    repo: { owner, repo },
    runId: Number(need('GITHUB_RUN_ID')),
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? 1),
    workflow: env.GITHUB_WORKFLOW ?? '',
    job: env.GITHUB_JOB ?? '',
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
  };
}

/** The PR number this run reports to, if any (pull_request*, or an issue_comment on a PR). */
export function pullRequestNumber(ctx: Pick<RunContext, 'eventName' | 'payload'>): number | undefined {
  const p = ctx.payload;
  if (ctx.eventName.startsWith('pull_request')) return p.pull_request?.number ?? p.number;
  if (ctx.eventName === 'issue_comment' && p.issue?.pull_request) return p.issue.number;
  return undefined;
}

export function runUrl(ctx: Pick<RunContext, 'serverUrl' | 'repo' | 'runId'>): string {
  return `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}/actions/runs/${ctx.runId}`;
}
