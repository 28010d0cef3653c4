// resume: auto. A re-run of a cancelled job continues from the checkpoint the cancelled attempt
// saved: the runner's own output_dir when it is still there (a self-hosted runner's workspace),
// else the `interrupted` checkpoint inside the previous attempt's artifact (same workflow run,
// listed through the results service), downloaded next to the runner's temp files.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultArtifactClient, type ArtifactClient } from '@actions/artifact';
import type { Logger } from '../../util/logger.js';
import { artifactName } from './upload.js';

export interface PreviousAttemptOptions {
  /** The artifact_name input (undefined: textclf-<run>-<attempt>). */
  given?: string;
  outputDir: string;
  /** Where to download (RUNNER_TEMP). */
  tempDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  client?: ArtifactClient;
}

export interface PreviousCheckpoint {
  dir: string;
  attempt?: number;
  artifact?: string;
}

const INTERRUPTED = join('checkpoints', 'interrupted');
const resumable = (dir: string) => existsSync(join(dir, 'trainer_state.json'));

/** The previous attempt's interrupted checkpoint, or undefined (first attempt, or nothing to resume). */
export async function previousAttemptCheckpoint(o: PreviousAttemptOptions): Promise<PreviousCheckpoint | undefined> {
  const env = o.env ?? process.env;
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  if (!(attempt > 1)) return undefined;
  const local = join(o.outputDir, INTERRUPTED);
  if (resumable(local)) return { dir: local };
  const client = o.client ?? new DefaultArtifactClient();
  let listed: { id: number; name: string }[];
  try {
    listed = (await client.listArtifacts({ latest: true })).artifacts;
  } catch (e) {
    o.log.warning(
      `resume: auto could not list this run's artifacts (${(e as Error).message}); training from the start`,
    );
    return undefined;
  }
  for (let k = attempt - 1; k >= 1; k--) {
    const name = artifactName(o.given, { ...env, GITHUB_RUN_ATTEMPT: String(k) });
    const found = listed.find((a) => a.name === name);
    if (!found) continue;
    const dest = join(o.tempDir, `textclf-resume-${env.GITHUB_RUN_ID ?? 'local'}-${k}`);
    try {
      await client.downloadArtifact(found.id, { path: dest });
    } catch (e) {
      o.log.warning(
        `resume: auto could not download artifact ${name} (${(e as Error).message}); training from the start`,
      );
      return undefined;
    }
    if (resumable(join(dest, INTERRUPTED))) return { dir: join(dest, INTERRUPTED), attempt: k, artifact: name };
    o.log.info(
      `resume: attempt ${k}'s artifact ${name} has no interrupted checkpoint (that attempt finished); training from the start`,
    );
    return undefined;
  }
  o.log.info(`resume: no artifact of attempts 1-${attempt - 1} in this run; training from the start`);
  return undefined;
}
