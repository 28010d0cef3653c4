// After a training run: find the baseline, evaluate the gates, and write the sticky PR comment.
// The action's main calls this once per run; gate failures are returned, not thrown, so the
// comment is always written before the job fails.
import type { MetricsFile } from '../../metrics/types.js';
import { loadBaseline, type Baseline } from './baseline.js';
import type { ComparedWith } from './summary-compare.js';
import { previousScheduledModel } from '../schedule.js';
import { finalMetrics } from './compare.js';
import { pullRequestNumber, runUrl, type Octokit, type RunContext } from '../events.js';
import { evaluateGates, type GateFailure, type GateOptions } from './gates.js';
import {
  renderStickyBody,
  shouldComment,
  stickyMarker,
  upsertStickyComment,
  type CommentMode,
} from './sticky-comment.js';

export interface PrReportInput {
  octokit: Octokit;
  /** Token for @actions/artifact's download by run id (actions: read). */
  token: string;
  ctx: RunContext;
  metrics: MetricsFile;
  comment: CommentMode;
  gates: GateOptions;
  /** How the metrics artifact of earlier runs is named: exact `name` or a `prefix` (default 'textclf'). */
  artifactMatch?: { name?: string; prefix?: string };
  artifacts?: { name: string; url: string }[];
  reportMarkdown?: string;
  trigger?: { actor: string; flags: Record<string, unknown> };
  /** Override the PR (e.g. from an accepted /train) and the trained commit. */
  pr?: number;
  sha?: string;
  selfLogin?: string;
  warn?: (message: string) => void;
}

/** This run against its baseline: what the deltas and gates were computed with, and the gate results. */
export interface Comparison {
  baseline?: Baseline;
  /** What the deltas and gates were computed against, as shown (also in the job summary). */
  comparedWith?: ComparedWith;
  baselineNote?: string;
  failures: GateFailure[];
}

export interface PrReportResult extends Comparison {
  commentId?: number;
  body?: string;
}

/** The commit that was trained: the PR head for pull_request events (GITHUB_SHA is the merge commit there). */
export function trainedSha(ctx: RunContext): string {
  return ctx.payload.pull_request?.head?.sha ?? ctx.sha;
}

/** comment: always on a push: the open PR whose head is this commit, if any. */
export async function openPullForCommit(octokit: Octokit, ctx: RunContext): Promise<number | undefined> {
  if (!ctx.sha) return undefined;
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    ...ctx.repo,
    commit_sha: ctx.sha,
    per_page: 10,
  });
  return data.find((p) => p.state === 'open' && p.head.sha === ctx.sha)?.number;
}

/** Baseline (previous scheduled run on schedules, the default branch otherwise) and gates; no comment. */
export async function compareWithBaseline(
  input: Pick<PrReportInput, 'octokit' | 'token' | 'ctx' | 'metrics' | 'gates' | 'artifactMatch' | 'warn'>,
): Promise<Comparison> {
  const { ctx } = input;
  const warn = input.warn ?? (() => {});
  let baseline: Baseline | undefined;
  let baselineNote: string | undefined;
  try {
    // Scheduled runs compare with the previous scheduled model, everything else with the default branch.
    const src = { token: input.token, repo: ctx.repo };
    const got =
      ctx.eventName === 'schedule'
        ? await previousScheduledModel(input.octokit, src, ctx.runId, input.artifactMatch)
        : await loadBaseline(input.octokit, src, { runId: ctx.runId, ...input.artifactMatch });
    baseline = got.baseline;
    baselineNote = got.reason;
  } catch (e) {
    // A broken or expired baseline must not hide this run's results.
    baselineNote = `baseline unavailable: ${(e as Error).message}`;
    warn(baselineNote);
  }
  const base = baseline && {
    label:
      ctx.eventName === 'schedule'
        ? `previous scheduled run ${baseline.run.id} @ ${baseline.run.headSha.slice(0, 7)}`
        : `${baseline.run.headBranch} @ ${baseline.run.headSha.slice(0, 7)}`,
    url: baseline.run.url,
    metrics: finalMetrics(baseline.metrics),
  };
  const failures = evaluateGates(finalMetrics(input.metrics), base, input.gates);
  if (input.gates.failOnRegression !== undefined && !base) warn(`fail_on_regression not checked: ${baselineNote}`);
  return { baseline, comparedWith: base, baselineNote, failures };
}

/** The sticky comment for this run (when `comment` and the event call for one), after `compareWithBaseline`. */
export async function reportToPullRequest(input: PrReportInput, comparison?: Comparison): Promise<PrReportResult> {
  const { ctx } = input;
  const { baseline, comparedWith: base, baselineNote, failures } = comparison ?? (await compareWithBaseline(input));

  const pr =
    input.pr ??
    pullRequestNumber(ctx) ??
    (input.comment === 'always' ? await openPullForCommit(input.octokit, ctx) : undefined);
  if (!shouldComment(input.comment, ctx.eventName, pr)) return { baseline, comparedWith: base, baselineNote, failures };
  const body = renderStickyBody({
    title: `textclf · ${ctx.workflow} / ${ctx.job}`,
    sha: input.sha ?? trainedSha(ctx),
    runUrl: runUrl(ctx),
    metrics: input.metrics,
    baseline: base,
    gates: input.gates.minAccuracy !== undefined || input.gates.failOnRegression !== undefined ? failures : undefined,
    artifacts: input.artifacts,
    trigger: input.trigger,
    reportMarkdown: input.reportMarkdown,
  });
  const { id } = await upsertStickyComment(
    input.octokit,
    ctx.repo,
    pr!,
    stickyMarker(ctx.workflow, ctx.job),
    body,
    input.selfLogin,
  );
  return { baseline, comparedWith: base, baselineNote, failures, commentId: id, body };
}
