// mode: train. The GitHub side before training (a /train comment's flags; github/training-flags.ts:
// resume: auto, the Hub push policy), then the library's runTraining with the action's own callback
// (publish.ts: report, artifact, job summary, outputs, PR comment) and the runner's cancel.
import { parseFlags } from '../config/parse.js';
import type { RunContext } from '../github/events.js';
import { beforeTraining, trainingFailed, type Before, type Deps, type GitHubInputs } from '../github/flow.js';
import { QualityGateError } from '../github/pr/gates.js';
import { trainingFlags } from '../github/training-flags.js';
import { runTraining } from '../train/run.js';
import { defaultCacheDir } from '../util/cache-dir.js';
import { cancelOnSignals } from '../util/cancel.js';
import type { ActionsLogger } from './logger.js';
import type { ActionFlags, MainOptions, ModeResult } from './mode.js';
import { Publish } from './publish.js';

export interface TrainContext {
  log: ActionsLogger;
  ctx?: RunContext;
  deps?: Deps;
  opts: MainOptions;
}

export async function trainMode(
  raw: Record<string, string>,
  inputs: GitHubInputs,
  c: TrainContext,
): Promise<ModeResult> {
  const before = c.deps ? await beforeTraining(c.deps, inputs) : { train: true as const, overlay: {} };
  if (!before.train) {
    c.log.notice(`not training: ${before.reason}`);
    return { outputs: {} };
  }
  const flags = parseFlags({ ...raw, ...before.overlay }, 'action');
  let result: ModeResult;
  try {
    result = await train(flags, inputs, before, c);
  } catch (e) {
    await reactToFailure(e, before, c);
    throw e;
  }
  if (result.failure) await reactToFailure(result.failure, before, c);
  return result;
}

async function train(
  flags: ActionFlags,
  inputs: GitHubInputs,
  before: Extract<Before, { train: true }>,
  c: TrainContext,
): Promise<ModeResult> {
  const run = await trainingFlags(flags, { ctx: c.ctx, headRepo: before.headRepo, log: c.log });
  const publish = new Publish({ flags, inputs, before, ctx: c.ctx, deps: c.deps, log: c.log });
  // From here a cancel stops after the current step (before: the runner's signal ends the process).
  const cancel = cancelOnSignals('action', (m) => c.log.warning(m));
  try {
    await runTraining(run, {
      log: c.log,
      signal: cancel.signal,
      progressSeconds: c.opts.progressSeconds ?? 30,
      defaultCacheDir: defaultCacheDir('action'),
      // The report is rendered by Publish, once the baseline comparison and the artifact are known.
      report: false,
      callbacks: [publish],
      hubToken: flags.hub_token || undefined,
      // A /train run trains the PR head the workflow checked out (chatops output head_sha), not GITHUB_SHA.
      runFacts: {
        ...((before.sha ?? c.ctx?.sha) ? { commit: before.sha ?? c.ctx!.sha } : {}),
        ...(c.opts.provisioningSeconds !== undefined ? { phases: { provisioning: c.opts.provisioningSeconds } } : {}),
      },
      flagStyle: 'action',
    });
  } finally {
    cancel.dispose();
  }
  return publish.outcome!;
}

/** 😕 on the /train comment when the run failed (a quality gate is a result, not a failure of the run). */
async function reactToFailure(e: unknown, before: Extract<Before, { train: true }>, c: TrainContext): Promise<void> {
  if (!c.deps || e instanceof QualityGateError) return;
  await trainingFailed(c.deps, before).catch((x) =>
    c.log.warning(`could not react to the /train comment: ${(x as Error).message}`),
  );
}
