// Scheduled retraining: decide whether the datastore source changed (HTTP validators or sha256),
// find the previous scheduled model to compare with, and keep one issue open while a gate fails.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Octokit, RepoRef } from './events.js';
import type { GateFailure } from './gates.js';
import { loadBaseline, type ArtifactSource } from './baseline.js';
import { escapeMarkdown, link } from './markdown-safe.js';

/** What we remember about a downloaded source, next to the cached copy. */
export interface SourceStamp { url?: string; etag?: string; lastModified?: string; contentLength?: number; sha256?: string }

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(h: HeaderBag, name: string): string | undefined {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key ? (h as Record<string, string | string[] | undefined>)[key] : undefined;
  return Array.isArray(v) ? v[0] : v;
}

export function stampFromHeaders(headers: HeaderBag, extra: Partial<SourceStamp> = {}): SourceStamp {
  const len = header(headers, 'content-length');
  return {
    etag: header(headers, 'etag'), lastModified: header(headers, 'last-modified'),
    contentLength: len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined, ...extra,
  };
}

export interface RedownloadDecision { redownload: boolean; reason: string }

/**
 * Given the stamp of the cached copy and a HEAD response for the source now, decide whether to
 * download again. Validators are compared in HTTP's order of strength: a pinned sha256, ETag
 * (weak comparison), Last-Modified, Content-Length. No usable answer means download.
 */
export function decideRedownload(previous: SourceStamp | undefined, head: { status: number; headers: HeaderBag } | undefined, pinnedSha256?: string): RedownloadDecision {
  if (!previous) return { redownload: true, reason: 'no cached copy' };
  if (pinnedSha256) {
    return previous.sha256?.toLowerCase() === pinnedSha256.toLowerCase()
      ? { redownload: false, reason: 'cached copy matches datastore_sha256' }
      : { redownload: true, reason: 'datastore_sha256 differs from the cached copy' };
  }
  if (head?.status === 304) return { redownload: false, reason: 'the server answered 304 Not Modified' };
  if (!head || head.status < 200 || head.status >= 300) return { redownload: true, reason: `HEAD answered ${head?.status ?? 'nothing'}; cannot tell whether the source changed` };
  const now = stampFromHeaders(head.headers);
  const weak = (e: string) => e.replace(/^W\//, '');
  if (now.etag && previous.etag) {
    return weak(now.etag) === weak(previous.etag) ? { redownload: false, reason: 'ETag unchanged' } : { redownload: true, reason: `ETag changed (${previous.etag} → ${now.etag})` };
  }
  if (now.lastModified && previous.lastModified) {
    const a = Date.parse(previous.lastModified), b = Date.parse(now.lastModified);
    if (Number.isFinite(a) && Number.isFinite(b)) {
      return b > a ? { redownload: true, reason: `Last-Modified is newer (${previous.lastModified} → ${now.lastModified})` } : { redownload: false, reason: 'Last-Modified unchanged' };
    }
  }
  if (now.contentLength !== undefined && previous.contentLength !== undefined && now.contentLength !== previous.contentLength) {
    return { redownload: true, reason: `Content-Length changed (${previous.contentLength} → ${now.contentLength})` };
  }
  return { redownload: true, reason: 'the server sent no ETag or Last-Modified to compare' };
}

/** Headers for a conditional GET instead of HEAD + GET: a 304 answer means "unchanged". */
export function conditionalHeaders(previous: SourceStamp | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (previous?.etag) h['if-none-match'] = previous.etag;
  if (previous?.lastModified) h['if-modified-since'] = previous.lastModified;
  return h;
}

/** After a download: did the bytes change, whatever the headers said? */
export function contentChanged(previous: SourceStamp | undefined, sha256: string): boolean {
  return previous?.sha256?.toLowerCase() !== sha256.toLowerCase();
}

export const STAMP_FILE = '.textclf-source.json';

export async function readStamp(dir: string): Promise<SourceStamp | undefined> {
  try { return JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as SourceStamp; } catch { return undefined; }
}

/** Temp file + rename, so a crash never leaves a half-written stamp that claims "unchanged". */
export async function writeStamp(dir: string, stamp: SourceStamp): Promise<void> {
  const file = join(dir, STAMP_FILE);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(stamp, null, 2));
  await rename(tmp, file);
}

/** The previous scheduled run of this workflow on the default branch and its metrics. */
export function previousScheduledModel(octokit: Octokit, src: ArtifactSource, runId: number, artifact: { name?: string; prefix?: string } = {}) {
  return loadBaseline(octokit, src, { runId, event: 'schedule', ...artifact });
}

export const GATE_LABEL = 'textclf-quality-gate';

function issueMarker(workflow: string): string {
  return `<!-- textclf-gate-issue:${createHash('sha256').update(workflow).digest('hex').slice(0, 16)} -->`;
}

async function findGateIssue(octokit: Octokit, repo: RepoRef, workflow: string) {
  const marker = issueMarker(workflow);
  const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo, state: 'open', labels: GATE_LABEL, per_page: 100 });
  return issues.find((i) => !i.pull_request && (i.body ?? '').includes(marker));
}

function failureText(failures: GateFailure[], runUrl: string): string {
  return [`Quality gates failed in ${link('this scheduled run', runUrl)}:`, '', ...failures.map((f) => `- ${escapeMarkdown(f.message, 400)}`)].join('\n');
}

/** Opens one issue per workflow while its gates fail; later failures add a comment to it. */
export async function reportGateFailure(octokit: Octokit, repo: RepoRef, workflow: string, failures: GateFailure[], runUrl: string): Promise<{ number: number; created: boolean }> {
  const existing = await findGateIssue(octokit, repo, workflow);
  if (existing) {
    await octokit.rest.issues.createComment({ ...repo, issue_number: existing.number, body: `${failureText(failures, runUrl)}\n` });
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
export async function resolveGateIssue(octokit: Octokit, repo: RepoRef, workflow: string, runUrl: string): Promise<number | undefined> {
  const existing = await findGateIssue(octokit, repo, workflow);
  if (!existing) return undefined;
  await octokit.rest.issues.createComment({ ...repo, issue_number: existing.number, body: `Quality gates pass again in ${link('this scheduled run', runUrl)}. Closing.\n` });
  await octokit.rest.issues.update({ ...repo, issue_number: existing.number, state: 'closed' });
  return existing.number;
}
