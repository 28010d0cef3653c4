// Baseline = the latest successful run of the same workflow on the default branch, and the
// metrics.json inside its metrics artifact (downloaded with @actions/artifact by run id).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import type { MetricsFile } from '../train/metrics-types.js';
import type { Octokit, RepoRef } from './events.js';

export interface RunRef { id: number; headSha: string; headBranch: string; url: string; event: string; createdAt: string }

export interface FindRunOptions {
  /** The current run: its workflow is the one to search, and it is never its own baseline. */
  runId: number;
  /** Branch to search (default: the repository's default branch). */
  branch?: string;
  /** e.g. 'schedule' to compare with the previous scheduled model. */
  event?: string;
}

/** Latest successful completed run of the current run's workflow, excluding the current run. */
export async function findBaselineRun(octokit: Octokit, repo: RepoRef, opts: FindRunOptions): Promise<RunRef | undefined> {
  const { data: current } = await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: opts.runId });
  const branch = opts.branch ?? (await octokit.rest.repos.get({ ...repo })).data.default_branch;
  const { data } = await octokit.rest.actions.listWorkflowRuns({
    ...repo, workflow_id: current.workflow_id, branch, status: 'success', per_page: 20, ...(opts.event ? { event: opts.event } : {}),
  });
  const run = data.workflow_runs.find((r) => r.id !== opts.runId && r.conclusion === 'success');
  if (!run) return undefined;
  return { id: run.id, headSha: run.head_sha, headBranch: run.head_branch ?? branch, url: run.html_url, event: run.event, createdAt: run.created_at };
}

export interface ArtifactSource { token: string; repo: RepoRef }

export class BaselineError extends Error {
  override name = 'BaselineError';
}

/**
 * Downloads the run's metrics artifact (exact `name`, else the newest artifact whose name starts
 * with `prefix`) into a temp dir and returns the parsed metrics.json found inside it.
 */
export async function fetchRunMetrics(src: ArtifactSource, runId: number, match: { name?: string; prefix?: string }): Promise<{ artifact: string; metrics: MetricsFile } | undefined> {
  const client = new DefaultArtifactClient();
  const findBy = { token: src.token, workflowRunId: runId, repositoryOwner: src.repo.owner, repositoryName: src.repo.repo };
  const { artifacts } = await client.listArtifacts({ findBy, latest: true });
  const candidates = artifacts
    .filter((a) => (match.name ? a.name === match.name : a.name.startsWith(match.prefix ?? 'textclf')))
    .sort((a, b) => b.id - a.id);
  if (candidates.length === 0) return undefined;
  const chosen = candidates[0];
  const dir = await mkdtemp(join(tmpdir(), 'textclf-baseline-'));
  try {
    await client.downloadArtifact(chosen.id, { path: dir, findBy });
    const file = await findFile(dir, 'metrics.json');
    if (!file) throw new BaselineError(`artifact '${chosen.name}' of run ${runId} has no metrics.json; upload the output_dir as the metrics artifact`);
    return { artifact: chosen.name, metrics: parseMetricsFile(await readFile(file, 'utf8'), `${chosen.name}/metrics.json`) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parseMetricsFile(text: string, where: string): MetricsFile {
  let m: any;
  try { m = JSON.parse(text); } catch (e) { throw new BaselineError(`${where} is not JSON: ${(e as Error).message}`); }
  if (m?.version !== 1 || !Array.isArray(m.epochs) || typeof m.run !== 'object') throw new BaselineError(`${where} is not a textclf metrics file (version 1 with run and epochs)`);
  return m as MetricsFile;
}

/** Breadth-first, so `metrics.json` at the top wins over checkpoint copies deeper down. */
async function findFile(root: string, name: string): Promise<string | undefined> {
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = await readdir(dir, { withFileTypes: true });
      const hit = entries.find((e) => e.isFile() && e.name === name);
      if (hit) return join(dir, hit.name);
      next.push(...entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name)).sort());
    }
    level = next;
  }
  return undefined;
}

export interface Baseline { run: RunRef; artifact: string; metrics: MetricsFile }

/** findBaselineRun + fetchRunMetrics; undefined (with a reason) when there is nothing to compare with. */
export async function loadBaseline(octokit: Octokit, src: ArtifactSource, opts: FindRunOptions & { name?: string; prefix?: string }): Promise<{ baseline?: Baseline; reason?: string }> {
  const run = await findBaselineRun(octokit, src.repo, opts);
  if (!run) return { reason: `no successful run of this workflow on ${opts.branch ?? 'the default branch'}${opts.event ? ` (event ${opts.event})` : ''}` };
  const got = await fetchRunMetrics(src, run.id, opts);
  if (!got) return { reason: `run ${run.id} has no ${opts.name ? `'${opts.name}'` : `'${opts.prefix ?? 'textclf'}*'`} artifact (expired or not uploaded)` };
  return { baseline: { run, artifact: got.artifact, metrics: got.metrics } };
}
