// Metrics artifacts of any workflow run (a baseline, a previous scheduled run, the trials of a
// sweep), listed and downloaded with @actions/artifact's public-API path (findBy run id).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import type { MetricsFile } from '../../metrics/types.js';
import type { RepoRef } from '../events.js';

export interface ArtifactSource {
  token: string;
  repo: RepoRef;
}

export class BaselineError extends Error {
  override name = 'BaselineError';
}

/**
 * Downloads the run's metrics artifact (exact `name`, else the newest artifact whose name starts
 * with `prefix`) into a temp dir and returns the parsed metrics.json found inside it.
 */
export async function fetchRunMetrics(
  src: ArtifactSource,
  runId: number,
  match: { name?: string; prefix?: string },
): Promise<{ artifact: string; metrics: MetricsFile } | undefined> {
  const candidates = (await listRunArtifacts(src, runId)).filter((a) =>
    match.name ? a.name === match.name : a.name.startsWith(match.prefix ?? 'textclf'),
  );
  if (candidates.length === 0) return undefined;
  const chosen = candidates[0];
  return { artifact: chosen.name, metrics: await downloadArtifactMetrics(src, runId, chosen) };
}

const findByFor = (src: ArtifactSource, runId: number) => ({
  token: src.token,
  workflowRunId: runId,
  repositoryOwner: src.repo.owner,
  repositoryName: src.repo.repo,
});

/** The run's artifacts (latest per name), newest first. */
export async function listRunArtifacts(src: ArtifactSource, runId: number): Promise<{ id: number; name: string }[]> {
  const { artifacts } = await new DefaultArtifactClient().listArtifacts({
    findBy: findByFor(src, runId),
    latest: true,
  });
  return artifacts.map((a) => ({ id: a.id, name: a.name })).sort((a, b) => b.id - a.id);
}

/** Downloads one artifact into a temp dir (removed afterwards) and parses the metrics.json inside. */
export async function downloadArtifactMetrics(
  src: ArtifactSource,
  runId: number,
  chosen: { id: number; name: string },
): Promise<MetricsFile> {
  const client = new DefaultArtifactClient();
  const findBy = findByFor(src, runId);
  const dir = await mkdtemp(join(tmpdir(), 'textclf-baseline-'));
  try {
    try {
      await client.downloadArtifact(chosen.id, { path: dir, findBy });
    } catch (e) {
      // Past its retention period an artifact is still listed, but downloading it answers 410 Gone.
      if ((e as { status?: number }).status === 410)
        throw new BaselineError(
          `artifact '${chosen.name}' of run ${runId} has expired (GitHub deletes artifacts after their retention days)`,
        );
      throw e;
    }
    const file = await findFile(dir, 'metrics.json');
    if (!file)
      throw new BaselineError(
        `artifact '${chosen.name}' of run ${runId} has no metrics.json; upload the output_dir as the metrics artifact`,
      );
    return parseMetricsFile(await readFile(file, 'utf8'), `${chosen.name}/metrics.json`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function parseMetricsFile(text: string, where: string): MetricsFile {
  let m: Partial<Record<keyof MetricsFile, unknown>> | null;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`${where} is not JSON: ${(e as Error).message}`);
  }
  if (m?.version !== 1 || !Array.isArray(m.epochs) || typeof m.run !== 'object')
    throw new BaselineError(`${where} is not a textclf metrics file (version 1 with run and epochs)`);
  return m as unknown as MetricsFile;
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
      next.push(
        ...entries
          .filter((e) => e.isDirectory())
          .map((e) => join(dir, e.name))
          .sort(),
      );
    }
    level = next;
  }
  return undefined;
}
