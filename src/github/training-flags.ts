// The flags an action run trains with, after the GitHub side has had its say: resume: auto continues
// a cancelled attempt's checkpoint (artifacts/previous-attempt.ts); push_to_hub only where the
// policy allows (hub-push-policy.ts); the artifact always carries predictions.csv; datastore_refresh
// auto means "on schedule events" (schedule.ts). The device (CUDA preflight and probe, WebGPU, the
// CPU fallback) is decided inside the run: gpus/device/allow_cpu_fallback mean the same on the CLI.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagsFor } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { previousAttemptCheckpoint } from './artifacts/previous-attempt.js';
import type { RunContext } from './events.js';
import { hubPushDecision } from './hub-push-policy.js';
import { datastoreRefreshFor } from './schedule.js';

type ActionFlags = FlagsFor<'action'>;

export async function trainingFlags(
  flags: ActionFlags,
  o: { ctx?: RunContext; headRepo?: string; log: Logger },
): Promise<ActionFlags> {
  const { log } = o;
  const previous =
    flags.resume === 'auto' && !flags.resume_from
      ? await previousAttemptCheckpoint({
          given: flags.artifact_name,
          outputDir: flags.output_dir,
          tempDir: process.env.RUNNER_TEMP || tmpdir(),
          log,
        })
      : undefined;
  if (previous)
    log.notice(
      `resume: auto: continuing from ${previous.attempt ? `attempt ${previous.attempt}'s checkpoint (artifact ${previous.artifact})` : 'the interrupted checkpoint in output_dir'}: ${previous.dir}`,
    );
  // push_to_hub: on release events of the default branch (or always), never for forks' code.
  const hub = hubPushDecision(flags.push_to_hub, o.ctx, o.headRepo);
  if (flags.push_to_hub !== false && !hub.push) log.notice(`push_to_hub: not pushing to the Hub: ${hub.reason}`);
  return {
    ...flags,
    push_to_hub: hub.push,
    ...(previous ? { resume_from: previous.dir } : {}),
    predictions_file: flags.predictions_file ?? join(flags.output_dir, 'predictions.csv'),
    datastore_refresh: datastoreRefreshFor(flags.datastore_refresh, o.ctx?.eventName),
  };
}
