// One PR comment per workflow+job, found again by a hidden marker and edited in place on re-runs.
import { createHash } from 'node:crypto';
import type { MetricsFile } from '../../metrics/types.js';
import { epochCharts } from '../../report/charts.js';
import { displayModel } from '../../report/paths.js';
import { deltaTable, finalEval, finalMetrics, formatMetric, type FinalMetrics } from './compare.js';
import type { Octokit, RepoRef } from '../events.js';
import { gateOutcome, type GateFailure } from './gates.js';
import { clampComment, escapeMarkdown, escapeValue, link, safeLogin } from '../../util/markdown-safe.js';

export type CommentMode = 'auto' | 'always' | 'never';

/** The marker hashes workflow+job, so names with `-->` or newlines cannot break out of the comment. */
export function stickyMarker(workflow: string, job: string): string {
  const id = createHash('sha256').update(`${workflow}\u0000${job}`).digest('hex').slice(0, 16);
  return `<!-- textclf-sticky:${id} -->`;
}

/** auto: PR events and /train runs; always: also any other event that has a PR to report to. */
export function shouldComment(mode: CommentMode, eventName: string, pr: number | undefined): boolean {
  if (mode === 'never' || pr === undefined) return false;
  if (mode === 'always') return true;
  return eventName.startsWith('pull_request') || eventName === 'issue_comment';
}

export interface UpsertResult {
  id: number;
  created: boolean;
}

/**
 * Creates the comment or edits the one that starts with `marker`. Only comments by `selfLogin` (or
 * by a bot when unknown) are candidates, so a user quoting the marker cannot redirect our edits.
 */
export async function upsertStickyComment(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  body: string,
  selfLogin?: string,
): Promise<UpsertResult> {
  const full = clampComment(`${marker}\n${body}`);
  const mine = await findOwnComment(octokit, repo, issueNumber, marker, selfLogin);
  if (mine) {
    await octokit.rest.issues.updateComment({ ...repo, comment_id: mine.id, body: full });
    return { id: mine.id, created: false };
  }
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body: full });
  return { id: data.id, created: true };
}

/** Our earlier comment on the issue/PR that starts with `marker`: by `selfLogin`, or by a bot when that is unknown. */
export async function findOwnComment(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  selfLogin?: string,
): Promise<{ id: number } | undefined> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  return comments.find(
    (c) => (c.body ?? '').startsWith(marker) && (selfLogin ? c.user?.login === selfLogin : c.user?.type === 'Bot'),
  );
}

export interface StickyInput {
  title: string;
  sha: string;
  runUrl: string;
  metrics: MetricsFile;
  baseline?: { label: string; url?: string; metrics: FinalMetrics };
  gates?: GateFailure[];
  artifacts?: { name: string; url: string }[];
  /** Who asked with /train and what they set (already validated flags). */
  trigger?: { actor: string; flags: Record<string, unknown> };
  /** The full markdown report (ours, already safe), collapsed at the end. */
  reportMarkdown?: string;
}

export function renderStickyBody(input: StickyInput): string {
  const m = input.metrics;
  const sha = /^[0-9a-f]{7,40}$/i.test(input.sha) ? input.sha.slice(0, 7) : escapeMarkdown(input.sha, 40);
  const epochs = m.epochs.length;
  const lines: string[] = [
    `### 🧪 ${escapeMarkdown(input.title, 120)}`,
    '',
    `Trained commit \`${sha}\` · **${epochs} epoch${epochs === 1 ? '' : 's'}** · ${m.run.totalSteps} steps · model ${escapeMarkdown(displayModel(m.run.model), 120)} · ${escapeMarkdown(m.run.device, 60)}${m.run.wallSeconds !== undefined ? ` · ${m.run.wallSeconds.toFixed(0)} s` : ''} · ${link('workflow run', input.runUrl)}`,
  ];
  if (m.run.cancelled) lines.push('', '⚠️ Training was cancelled; these are the metrics so far.');
  const model = modelLine(m);
  if (model) lines.push('', model);
  if (input.trigger) {
    const set = Object.entries(input.trigger.flags)
      .map(([k, v]) => `${escapeMarkdown(k)}=${escapeValue(v)}`)
      .join(', ');
    lines.push('', `Requested by @${safeLogin(input.trigger.actor)} with \`/train\`${set ? `: ${set}` : ''}`);
  }
  lines.push('', ...deltaTable(finalMetrics(m), input.baseline));
  if (!input.baseline)
    lines.push(
      '',
      '_No baseline: no successful run of this workflow with a metrics artifact on the default branch yet._',
    );
  if (input.gates) lines.push('', gateOutcome(input.gates));
  if (input.artifacts?.length)
    lines.push('', `Artifacts: ${input.artifacts.map((a) => link(a.name, a.url)).join(' · ')}`);
  const head = lines.join('\n');
  // The full report already has curves, epochs and per-class scores: embed it when it fits GitHub's
  // comment limit, else our compact sections, else only the head (many classes make big tables).
  const report =
    input.reportMarkdown && `<details><summary>Full report</summary>\n\n${input.reportMarkdown}\n\n</details>`;
  const tooLong = input.reportMarkdown
    ? '\n\n_The full report is too long for a comment: see the job summary or the artifact._'
    : '';
  for (const body of [
    report && `${head}\n\n${report}`,
    `${head}\n\n${compactSections(m).join('\n\n')}${tooLong}`,
    `${head}${tooLong}`,
  ]) {
    if (body && body.length <= MAX_BODY_CHARS) return body + '\n';
  }
  return `${head.slice(0, MAX_BODY_CHARS)}\n`;
}

/** Which epoch the numbers are from, early stopping, multi-label: one line (fixed words and numbers only). */
function modelLine(m: MetricsFile): string | undefined {
  const parts: string[] = [];
  if (m.task?.problemType === 'multi_label_classification')
    parts.push(`multi-label (threshold ${Number(m.task.threshold ?? 0.5)}; accuracy is subset accuracy)`);
  if (m.finalEpoch !== undefined && m.epochs.length > 1)
    parts.push(
      m.finalEpoch === m.bestEpoch && m.testOn === 'best'
        ? `model of epoch ${m.finalEpoch}, the best by ${escapeMarkdown(String(m.monitor?.name ?? 'validation'), 20)}`
        : `model of the last epoch, ${m.finalEpoch}`,
    );
  if (m.stopped?.reason === 'early_stopping') parts.push(`stopped early after epoch ${m.stopped.epoch}`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** GitHub rejects comments over 65,536 characters; leave room for the hidden marker. */
export const MAX_BODY_CHARS = 65_000;

/** Curves, per-epoch metrics and per-class scores, each collapsed. */
function compactSections(m: MetricsFile): string[] {
  const out: string[] = [];
  const curve = epochCurve(m);
  if (curve) out.push(`<details><summary>Training curves</summary>\n\n${curve}\n\n</details>`);
  out.push(`<details><summary>Per-epoch metrics</summary>\n\n${epochTable(m).join('\n')}\n\n</details>`);
  const perClass = finalEval(m)?.metrics.perClass; // the same split and epoch as the delta table
  if (perClass?.length) {
    out.push(
      [
        '<details><summary>Per-class scores</summary>',
        '',
        '| label | precision | recall | F1 | support |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...perClass.map(
          (c) =>
            `| ${escapeMarkdown(c.label, 80)} | ${c.precision.toFixed(4)} | ${c.recall.toFixed(4)} | ${c.f1.toFixed(4)} | ${c.support} |`,
        ),
        '',
        '</details>',
      ].join('\n'),
    );
  }
  return out;
}

function epochTable(m: MetricsFile): string[] {
  const rows = m.epochs.map(
    (e) =>
      `| ${e.epoch} | ${e.step} | ${e.trainLoss.toFixed(4)} | ${formatMetric('loss', e.validation?.loss)} | ${formatMetric('accuracy', e.validation?.accuracy)} | ${formatMetric('f1', e.validation?.f1)} | ${e.seconds.toFixed(1)} |`,
  );
  return [
    '| epoch | step | train loss | val loss | val accuracy | val F1 | seconds |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
}

/** Loss and validation-accuracy charts (src/report/charts.ts), from the second epoch on. */
function epochCurve(m: MetricsFile): string | undefined {
  const charts = epochCharts(m.epochs);
  return charts.length ? charts.join('\n\n') : undefined;
}
