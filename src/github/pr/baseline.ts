// Baseline = the latest successful run of the same workflow on the default branch, and the
// metrics.json inside its metrics artifact (downloaded with @actions/artifact by run id).
import type { MetricsFile } from '../../metrics/types.js';
import type { Octokit, RepoRef } from '../events.js';
import { fetchRunMetrics, type ArtifactSource } from '../artifacts/run-artifacts.js';

export interface RunRef {
  id: number;
  headSha: string;
  headBranch: string;
  url: string;
  event: string;
  createdAt: string;
}

export interface FindRunOptions {
  /** The current run: its workflow is the one to search, and it is never its own baseline. */
  runId: number;
  /** Branch to search (default: the repository's default branch). */
  branch?: string;
  /** e.g. 'schedule' to compare with the previous scheduled model. */
  event?: string;
}

/**
 * Events whose runs are listed under the default branch (issue_comment runs always are; a fork's
 * pull request from its own `main` is too) but trained pull-request code: never a baseline, or
 * one `/train` would be compared with the previous PR's model labelled as main.
 */
const PR_CODE_EVENTS = new Set([
  'issue_comment',
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]);

/** Latest successful completed run of the current run's workflow on the branch, excluding the current run and PR-code runs. */
export async function findBaselineRun(
  octokit: Octokit,
  repo: RepoRef,
  opts: FindRunOptions,
): Promise<RunRef | undefined> {
  const { data: current } = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: opts.runId });
  const branch = opts.branch ?? (await octokit.rest.repos.get({ ...repo })).data.default_branch;
  const { data } = await octokit.rest.actions.listWorkflowRuns({
    ...repo,
    workflow_id: current.workflow_id,
    branch,
    status: 'success',
    per_page: 100,
    ...(opts.event ? { event: opts.event } : {}),
  });
  const run = data.workflow_runs.find(
    (r) => r.id !== opts.runId && r.conclusion === 'success' && !PR_CODE_EVENTS.has(r.event),
  );
  if (!run) return undefined;
  return {
    id: run.id,
    headSha: run.head_sha,
    headBranch: run.head_branch ?? branch,
    url: run.html_url,
    event: run.event,
    createdAt: run.created_at,
  };
}

export interface Baseline {
  run: RunRef;
  artifact: string;
  metrics: MetricsFile;
}

/** findBaselineRun + fetchRunMetrics; undefined (with a reason) when there is nothing to compare with. */
export async function loadBaseline(
  octokit: Octokit,
  src: ArtifactSource,
  opts: FindRunOptions & { name?: string; prefix?: string },
): Promise<{ baseline?: Baseline; reason?: string }> {
  const run = await findBaselineRun(octokit, src.repo, opts);
  if (!run)
    return {
      reason: `no successful run of this workflow on ${opts.branch ?? 'the default branch'}${opts.event ? ` (event ${opts.event})` : ''}`,
    };
  const got = await fetchRunMetrics(src, run.id, opts);
  if (!got)
    return {
      reason: `run ${run.id} has no ${opts.name ? `'${opts.name}'` : `'${opts.prefix ?? 'textclf'}*'`} artifact (expired or not uploaded)`,
    };
  return { baseline: { run, artifact: got.artifact, metrics: got.metrics } };
}
