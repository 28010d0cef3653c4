// mode: aggregate — download every trial's metrics artifact of this workflow run, compare them in
// one table (best marked), and post it as the job's sticky PR comment when there is a PR.
import { tokenLogin } from '../identity.js';
import type { Octokit, RunContext } from '../events.js';
import { pullRequestNumber } from '../events.js';
import type { ArtifactSource } from '../artifacts/run-artifacts.js';
import { downloadArtifactMetrics, listRunArtifacts } from '../artifacts/run-artifacts.js';
import { shouldComment, stickyMarker, upsertStickyComment, type CommentMode } from '../pr/sticky-comment.js';
import { bestTrial, renderSweepTable, trialResult, type TrialResult } from './sweep.js';
import { escapeMarkdown } from '../../util/markdown-safe.js';

/**
 * Trials are the run's artifacts named `<prefix><trial>` (the sweep workflow sets
 * artifact_name: <prefix>${{ matrix.trial }}); the trial name is what follows the prefix.
 */
export async function collectTrials(src: ArtifactSource, runId: number, prefix: string): Promise<TrialResult[]> {
  const artifacts = (await listRunArtifacts(src, runId)).filter(
    (a) => a.name.startsWith(prefix) && a.name.length > prefix.length,
  );
  const trials: TrialResult[] = [];
  for (const a of artifacts)
    trials.push(trialResult(a.name.slice(prefix.length), await downloadArtifactMetrics(src, runId, a)));
  return trials.sort((x, y) => x.name.localeCompare(y.name));
}

export interface AggregateResult {
  trials: TrialResult[];
  best?: TrialResult;
  markdown: string;
  commentId?: number;
}

export async function aggregateSweep(opts: {
  octokit: Octokit;
  token: string;
  ctx: RunContext;
  prefix: string;
  comment: CommentMode;
  selfLogin?: string;
}): Promise<AggregateResult> {
  const { ctx } = opts;
  const trials = await collectTrials({ token: opts.token, repo: ctx.repo }, ctx.runId, opts.prefix);
  const markdown = `### 🧪 textclf sweep · ${escapeMarkdown(ctx.workflow, 120)}\n\n${renderSweepTable(trials)}`;
  const pr = pullRequestNumber(ctx);
  let commentId: number | undefined;
  if (shouldComment(opts.comment, ctx.eventName, pr)) {
    commentId = (
      await upsertStickyComment(
        opts.octokit,
        ctx.repo,
        pr!,
        stickyMarker(ctx.workflow, ctx.job),
        markdown,
        opts.selfLogin ?? (await tokenLogin(opts.octokit)),
      )
    ).id;
  }
  return { trials, best: bestTrial(trials), markdown, commentId };
}
