// Scheduled retraining: the previous scheduled model to compare with, and one issue kept open
// while a gate fails. (Whether the datastore source changed is the datastore's business.)
import { createHash } from 'node:crypto';
import type { Octokit, RepoRef } from './events.js';
import type { GateFailure } from './pr/gates.js';
import { loadBaseline } from './pr/baseline.js';
import type { ArtifactSource } from './artifacts/run-artifacts.js';
import { escapeMarkdown, link } from '../util/markdown-safe.js';

/**
 * `datastore_refresh` as the run should apply it: `auto` checks the source on schedule events
 * (retraining on whatever the datastore holds now) and trusts the cache otherwise.
 */
export function datastoreRefreshFor(mode: unknown, eventName: string | undefined): 'always' | 'never' {
  if (mode === 'always' || mode === 'never') return mode;
  return eventName === 'schedule' ? 'always' : 'never';
}

/** The previous scheduled run of this workflow on the default branch and its metrics. */
export function previousScheduledModel(
  octokit: Octokit,
  src: ArtifactSource,
  runId: number,
  artifact: { name?: string; prefix?: string } = {},
) {
  return loadBaseline(octokit, src, { runId, event: 'schedule', ...artifact });
}

export const GATE_LABEL = 'textclf-quality-gate';

function issueMarker(workflow: string): string {
  return `<!-- textclf-gate-issue:${createHash('sha256').update(workflow).digest('hex').slice(0, 16)} -->`;
}

async function findGateIssue(octokit: Octokit, repo: RepoRef, workflow: string) {
  const marker = issueMarker(workflow);
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...repo,
    state: 'open',
    labels: GATE_LABEL,
    per_page: 100,
  });
  return issues.find((i) => !i.pull_request && (i.body ?? '').includes(marker));
}

function failureText(failures: GateFailure[], runUrl: string): string {
  return [
    `Quality gates failed in ${link('this scheduled run', runUrl)}:`,
    '',
    ...failures.map((f) => `- ${escapeMarkdown(f.message, 400)}`),
  ].join('\n');
}

/** Opens one issue per workflow while its gates fail; later failures add a comment to it. */
export async function reportGateFailure(
  octokit: Octokit,
  repo: RepoRef,
  workflow: string,
  failures: GateFailure[],
  runUrl: string,
): Promise<{ number: number; created: boolean }> {
  const existing = await findGateIssue(octokit, repo, workflow);
  if (existing) {
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: existing.number,
      body: `${failureText(failures, runUrl)}\n`,
    });
    return { number: existing.number, created: false };
  }
  const { data } = await octokit.rest.issues.create({
    ...repo,
    title: `textclf: quality gate failed in scheduled run of ${workflow.replace(/[\r\n]+/g, ' ').slice(0, 100)}`,
    body: `${issueMarker(workflow)}\n${failureText(failures, runUrl)}\n\nThis issue is updated by later scheduled runs and closed when the gates pass again.\n`,
    labels: [GATE_LABEL],
  });
  return { number: data.number, created: true };
}

/** When the gates pass again, close the open issue with a note. */
export async function resolveGateIssue(
  octokit: Octokit,
  repo: RepoRef,
  workflow: string,
  runUrl: string,
): Promise<number | undefined> {
  const existing = await findGateIssue(octokit, repo, workflow);
  if (!existing) return undefined;
  await octokit.rest.issues.createComment({
    ...repo,
    issue_number: existing.number,
    body: `Quality gates pass again in ${link('this scheduled run', runUrl)}. Closing.\n`,
  });
  await octokit.rest.issues.update({ ...repo, issue_number: existing.number, state: 'closed' });
  return existing.number;
}
