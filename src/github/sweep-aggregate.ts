// mode: aggregate — download every trial's metrics artifact of this workflow run and compare.
import type { ArtifactSource } from './run-artifacts.js';
import { downloadArtifactMetrics, listRunArtifacts } from './run-artifacts.js';
import { trialResult, type TrialResult } from './sweep.js';

/**
 * Trials are the run's artifacts named `<prefix><trial>` (the sweep workflow sets
 * artifact_name: <prefix>${{ matrix.trial }}); the trial name is what follows the prefix.
 */
export async function collectTrials(src: ArtifactSource, runId: number, prefix: string): Promise<TrialResult[]> {
  const artifacts = (await listRunArtifacts(src, runId)).filter((a) => a.name.startsWith(prefix) && a.name.length > prefix.length);
  const trials: TrialResult[] = [];
  for (const a of artifacts) trials.push(trialResult(a.name.slice(prefix.length), await downloadArtifactMetrics(src, runId, a)));
  return trials.sort((x, y) => x.name.localeCompare(y.name));
}
