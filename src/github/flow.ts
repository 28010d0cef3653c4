// The GitHub side of one action run, in the order the action's main calls it:
//   mode chatops:   chatopsStep            -> outputs (accepted, flags, head_sha, ...)
//   mode plan:      planStep               -> outputs (matrix, trials)
//   mode aggregate: aggregateSweep         (sweep-aggregate.ts)
//   mode train:     beforeTraining -> runTraining -> afterTraining (or trainingFailed on a throw)
// main keeps the @actions/core calls (inputs, outputs, setFailed); everything here is testable.
import type { Flags } from '../config/parse.js';
import type { MetricsFile } from '../metrics/types.js';
import {
  chatOpsOutputs,
  finishTrainComment,
  flagsToRaw,
  handleTrainComment,
  type ChatOpsDecision,
} from './chatops/chatops.js';
import { runUrl, type IssueCommentPayload, type Octokit, type RunContext } from './events.js';
import { tokenLogin } from './identity.js';
import type { GateFailure } from './pr/gates.js';
import { compareWithBaseline, reportToPullRequest, type Comparison, type PrReportResult } from './pr/pr-report.js';
import { reportGateFailure, resolveGateIssue } from './schedule.js';
import type { CommentMode } from './pr/sticky-comment.js';
import { parseSweep, planSweep } from './sweep/sweep.js';

export interface GitHubInputs {
  comment: CommentMode;
  allowForks: boolean;
  minAccuracy?: number;
  failOnRegression?: number;
  sweep?: string;
  artifactName?: string;
  /** Open/update an issue when a scheduled run fails a gate. */
  scheduleIssues?: boolean;
}

/** The GitHub inputs out of the parsed action flags (schema names). */
export function githubInputs(flags: Flags): GitHubInputs {
  return {
    comment: (flags.comment as CommentMode | undefined) ?? 'auto',
    allowForks: flags.allow_forks === true,
    minAccuracy: flags.min_accuracy as number | undefined,
    failOnRegression: flags.fail_on_regression as number | undefined,
    sweep: flags.sweep as string | undefined,
    artifactName: flags.artifact_name as string | undefined,
    scheduleIssues: true,
  };
}

export interface Deps {
  octokit: Octokit;
  token: string;
  ctx: RunContext;
  /** The token's login; by default asked from GitHub (identity.ts). */
  selfLogin?: string;
  warn?: (m: string) => void;
}

/** mode: chatops — check the comment, react/reply, output what the next steps need. */
export async function chatopsStep(
  deps: Deps,
  inputs: GitHubInputs,
): Promise<{ decision: ChatOpsDecision; outputs: Record<string, string> }> {
  const decision = await checkComment(deps, inputs);
  return { decision, outputs: chatOpsOutputs(decision) };
}

/** mode: plan — the sweep as a strategy.matrix. Throws SweepError (a user error) on bad syntax. */
export function planStep(inputs: GitHubInputs): { outputs: Record<string, string> } {
  if (!inputs.sweep)
    throw new Error('mode: plan needs the sweep input, e.g. sweep: learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]"');
  const matrix = planSweep(parseSweep(inputs.sweep));
  return { outputs: { matrix: JSON.stringify(matrix), trials: String(matrix.include.length) } };
}

export type Before =
  | { train: false; reason: string; decision: ChatOpsDecision }
  | {
      train: true;
      overlay: Record<string, string>;
      pr?: number;
      sha?: string;
      /** owner/name of the pull request's head repository (a /train comment's). */
      headRepo?: string;
      commentId?: number;
      trigger?: { actor: string; flags: Record<string, unknown> };
    };

/**
 * mode: train. On issue_comment events the comment is checked again (the same decision as the
 * chatops step: reactions are idempotent) and its flags become `overlay`, raw strings to lay over
 * the action's inputs before parsing them. Other events train with the inputs as they are.
 */
export async function beforeTraining(deps: Deps, inputs: GitHubInputs): Promise<Before> {
  if (deps.ctx.eventName !== 'issue_comment') return { train: true, overlay: {} };
  const decision = await checkComment(deps, inputs);
  if (decision.kind !== 'accepted')
    return {
      train: false,
      reason: decision.kind === 'invalid' ? decision.problems.join('; ') : decision.reason,
      decision,
    };
  return {
    train: true,
    overlay: flagsToRaw(decision.flags),
    pr: decision.pr,
    sha: decision.headSha,
    headRepo: decision.headRepo,
    commentId: decision.commentId,
    trigger: { actor: decision.actor, flags: decision.flags },
  };
}

export interface After extends PrReportResult {
  issue?: { number: number; created: boolean; closed?: boolean };
}

/** After a finished run, before its report is rendered: the baseline and the gates (nothing posted). */
export function compareStep(deps: Deps, inputs: GitHubInputs, metrics: MetricsFile): Promise<Comparison> {
  return compareWithBaseline({
    octokit: deps.octokit,
    token: deps.token,
    ctx: deps.ctx,
    metrics,
    gates: { minAccuracy: inputs.minAccuracy, failOnRegression: inputs.failOnRegression },
    artifactMatch: inputs.artifactName ? { name: inputs.artifactName } : undefined,
    warn: deps.warn,
  });
}

/**
 * After a finished run: baseline and gates (unless `comparison` already holds them), sticky comment, 🚀/😕 on the /train comment, and the
 * scheduled-run issue. Gate failures are returned; main fails the job with QualityGateError.
 */
export async function afterTraining(
  deps: Deps,
  inputs: GitHubInputs,
  before: Extract<Before, { train: true }>,
  run: {
    metrics: MetricsFile;
    reportMarkdown?: string;
    artifacts?: { name: string; url: string }[];
  },
  comparison?: Comparison,
): Promise<After> {
  const report = await reportToPullRequest(
    {
      octokit: deps.octokit,
      token: deps.token,
      ctx: deps.ctx,
      metrics: run.metrics,
      comment: inputs.comment,
      gates: { minAccuracy: inputs.minAccuracy, failOnRegression: inputs.failOnRegression },
      artifactMatch: inputs.artifactName ? { name: inputs.artifactName } : undefined,
      artifacts: run.artifacts,
      reportMarkdown: run.reportMarkdown,
      trigger: before.trigger,
      pr: before.pr,
      sha: before.sha,
      selfLogin: deps.selfLogin ?? (await tokenLogin(deps.octokit)),
      warn: deps.warn,
    },
    comparison,
  );
  const ok = report.failures.length === 0 && !run.metrics.run.cancelled;
  if (before.commentId !== undefined) await finishTrainComment(deps.octokit, deps.ctx.repo, before.commentId, ok);
  let issue: After['issue'];
  if (deps.ctx.eventName === 'schedule' && inputs.scheduleIssues) issue = await scheduleIssue(deps, report.failures);
  return { ...report, issue };
}

/** Training threw: 😕 on the /train comment (the error itself is main's to report). */
export async function trainingFailed(deps: Deps, before: Extract<Before, { train: true }>): Promise<void> {
  if (before.commentId !== undefined) await finishTrainComment(deps.octokit, deps.ctx.repo, before.commentId, false);
}

async function scheduleIssue(deps: Deps, failures: GateFailure[]): Promise<After['issue']> {
  const url = runUrl(deps.ctx);
  if (failures.length > 0) return reportGateFailure(deps.octokit, deps.ctx.repo, deps.ctx.workflow, failures, url);
  const closed = await resolveGateIssue(deps.octokit, deps.ctx.repo, deps.ctx.workflow, url);
  return closed === undefined ? undefined : { number: closed, created: false, closed: true };
}

async function checkComment(deps: Deps, inputs: GitHubInputs): Promise<ChatOpsDecision> {
  if (deps.ctx.eventName !== 'issue_comment')
    return { kind: 'ignored', reason: `event ${deps.ctx.eventName} is not issue_comment` };
  return handleTrainComment(deps.octokit, deps.ctx.repo, deps.ctx.payload as IssueCommentPayload, {
    allowForks: inputs.allowForks,
    selfLogin: deps.selfLogin ?? (await tokenLogin(deps.octokit)),
  });
}
