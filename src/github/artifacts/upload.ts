// Uploads a run's outputs as one workflow artifact: checkpoints (all | best | last), metrics.json,
// metrics.jsonl, predictions.csv, report.md and TensorBoard event files. Retries with backoff;
// a final failure names the local directory where the files remain.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DefaultArtifactClient, type ArtifactClient } from '@actions/artifact';
import type { Logger } from '../../util/logger.js';
import type { MetricsFile } from '../../metrics/types.js';

export class ArtifactUploadError extends Error {
  override name = 'ArtifactUploadError';
  constructor(
    message: string,
    readonly localPath: string,
  ) {
    super(message);
  }
}

export type CheckpointPolicy = 'all' | 'best' | 'last';

/** Unique per run attempt: re-running a job must not collide with the first attempt's artifact. */
export function artifactName(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const run = env.GITHUB_RUN_ID ?? 'local';
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
  if (!given) return `textclf-${run}-${attempt}`;
  return attempt === '1' ? given : `${given}-attempt-${attempt}`;
}

export function artifactUrl(id: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/artifacts/${id}`;
}

/**
 * Checkpoint directories to upload. all: every epoch plus the final state; last: the final state
 * (the interrupted one when cancelled), else the last epoch; best: the best validation epoch, plus
 * the interrupted state of a cancelled run so that it can resume.
 */
export function selectCheckpoints(m: MetricsFile, policy: CheckpointPolicy): string[] {
  const all = m.checkpoints.map((c) => c.path);
  if (policy === 'all' || all.length === 0) return all;
  const final = m.checkpoints.find((c) => c.epoch === 'final')?.path;
  const epochs = m.checkpoints.filter((c) => c.epoch !== 'final');
  const lastEpoch = epochs[epochs.length - 1]?.path;
  const keep = new Set<string>();
  if (policy === 'last') keep.add((final ?? lastEpoch)!);
  else {
    const best = epochs.find((c) => c.epoch === m.bestEpoch)?.path ?? lastEpoch ?? final;
    if (best) keep.add(best);
    if (m.run.cancelled && final) keep.add(final);
  }
  return all.filter((p) => keep.has(p));
}

function walk(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((e) => walk(join(path, e)));
}

/** Absolute paths of every file to upload, all inside outputDir (the artifact's root). */
export function collectFiles(
  outputDir: string,
  m: MetricsFile,
  policy: CheckpointPolicy,
  extra: string[] = [],
): string[] {
  const root = resolve(outputDir);
  const inRoot = (p: string) => {
    const abs = isAbsolute(p) ? p : join(root, p);
    const rel = relative(root, abs);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? abs : undefined;
  };
  const picks = [
    'metrics.json',
    'metrics.jsonl',
    'predictions.csv',
    'report.md',
    'tensorboard',
    ...extra,
    ...selectCheckpoints(m, policy),
  ];
  const files = new Set<string>();
  for (const p of picks) {
    const abs = inRoot(p);
    if (abs) for (const f of walk(abs)) files.add(f);
  }
  return [...files];
}

export interface UploadOptions {
  name: string;
  rootDir: string;
  files: string[];
  retentionDays?: number;
  log: Logger;
  attempts?: number;
  backoffMs?: number;
  client?: ArtifactClient;
}

export interface UploadResult {
  id: number;
  size: number;
  digest?: string;
  url?: string;
  name: string;
  files: string[];
}

export async function uploadArtifact(o: UploadOptions): Promise<UploadResult> {
  const client = o.client ?? new DefaultArtifactClient();
  const attempts = o.attempts ?? 3;
  const rel = o.files.map((f) => relative(o.rootDir, f));
  let lastError: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      const r = await client.uploadArtifact(o.name, o.files, o.rootDir, { retentionDays: o.retentionDays });
      if (r.id === undefined) throw new Error('the artifact service returned no artifact id');
      o.log.info(`uploaded artifact ${o.name} (id ${r.id}, ${r.size ?? 0} bytes, ${o.files.length} files)`);
      return { id: r.id, size: r.size ?? 0, digest: r.digest, url: artifactUrl(r.id), name: o.name, files: rel };
    } catch (e) {
      lastError = e;
      // A name clash does not heal by retrying (matrix jobs sharing one artifact_name).
      if (/\(409\)|already exists/i.test((e as Error).message)) {
        throw new ArtifactUploadError(
          `an artifact named '${o.name}' already exists in this workflow run; set artifact_name to a name unique per job ` +
            `(e.g. include the matrix values). The ${o.files.length} files remain on the runner at ${o.rootDir}`,
          o.rootDir,
        );
      }
      if (i < attempts) {
        const wait = (o.backoffMs ?? 5000) * 2 ** (i - 1);
        o.log.warning(
          `artifact upload attempt ${i}/${attempts} failed (${(e as Error).message}); retrying in ${Math.round(wait / 1000)} s`,
        );
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  throw new ArtifactUploadError(
    `uploading artifact '${o.name}' failed after ${attempts} attempts: ${(lastError as Error)?.message}. ` +
      `The ${o.files.length} files remain on the runner at ${o.rootDir}`,
    o.rootDir,
  );
}
