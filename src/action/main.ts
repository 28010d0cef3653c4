// The action's main: inputs -> GitHub plan (ChatOps/sweeps, in src/github/flow.ts) -> training ->
// artifacts -> job summary -> outputs. Thin on purpose: each step is a library call that tests
// drive directly; this file owns only the @actions/core calls.
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import * as core from '@actions/core';
import { parseFlags } from '../config/parse.js';
import type { FlagsFor } from '../config/schema.js';
import { artifactName, collectFiles, uploadArtifact, type UploadResult } from '../github/artifacts/upload.js';
import { githubClient } from '../github/client.js';
import { contextFromEnv, runUrl, type RunContext } from '../github/events.js';
import {
  afterTraining,
  beforeTraining,
  compareStep,
  chatopsStep,
  githubInputs,
  planStep,
  trainingFailed,
  type Deps,
  type GitHubInputs,
} from '../github/flow.js';
import { QualityGateError } from '../github/pr/gates.js';
import type { OrtRuntime } from '../runtime/provision.js';
import { datastoreRefreshFor } from '../github/schedule.js';
import { renderComparison } from '../github/pr/summary-compare.js';
import { aggregateSweep } from '../github/sweep/aggregate.js';
import type { CommentMode } from '../github/pr/sticky-comment.js';
import { renderReport, type ArtifactLink } from '../report/markdown.js';
import type { Logger } from '../util/logger.js';
import type { MetricsEvent } from '../metrics/types.js';
import { HubPushError, hubReportParts, runTraining } from '../train/run.js';
import { hubPushDecision } from '../github/hub-push-policy.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { actionsLogger, type ActionsLogger } from './logger.js';
import { maskToken, readRawInputs } from './inputs.js';
import { evaluateStep, predictStep } from './score.js';
import { previousAttemptCheckpoint } from '../github/artifacts/previous-attempt.js';
import { metricOutputs, setOutputs } from './outputs.js';

type ActionFlags = FlagsFor<'action'>;

export interface MainOptions {
  /** The onnxruntime-node the bootstrap resolved (index.ts). */
  ort?: OrtRuntime;
  /** Seconds between progress lines. */
  progressSeconds?: number;
  /** Seconds the bootstrap spent finding or provisioning onnxruntime-node (the report's Time section). */
  provisioningSeconds?: number;
}

export async function run(opts: MainOptions = {}): Promise<void> {
  const log = actionsLogger();
  try {
    const token = maskToken();
    const raw = readRawInputs();
    const base = parseFlags(raw, 'action');
    const inputs = githubInputs(base);
    const mode = String(base.mode ?? 'train');
    if (mode === 'plan') return setOutputs(planStep(inputs).outputs);
    if (mode === 'predict' || mode === 'evaluate') {
      const toolCache = process.env.RUNNER_TOOL_CACHE;
      const t = {
        log,
        defaultCacheDir: toolCache ? join(toolCache, 'textclf') : join(tmpdir(), 'textclf-cache'),
        tempDir: process.env.RUNNER_TEMP || tmpdir(),
      };
      if (mode === 'predict') return await predictStep(parseFlags(raw, 'action', 'predict'), t);
      return await evaluateStep(parseFlags(raw, 'action', 'evaluate'), t);
    }

    const ctx = tryContext(log);
    const deps: Deps | undefined =
      ctx && token
        ? {
            octokit: githubClient(token, { baseUrl: ctx.apiUrl, warn: (m) => log.warning(m) }),
            token,
            ctx,
            warn: (m) => log.warning(m),
          }
        : undefined;
    if (!deps && mode !== 'train') throw new Error(`mode: ${mode} needs the GitHub context and github_token`);
    if (mode === 'chatops') return setOutputs((await chatopsStep(deps!, inputs)).outputs);
    if (mode === 'aggregate') {
      const r = await aggregateSweep({
        octokit: deps!.octokit,
        token,
        ctx: deps!.ctx,
        prefix: inputs.artifactName ?? 'textclf',
        comment: inputs.comment as CommentMode,
      });
      await core.summary.addRaw(r.markdown).write();
      return setOutputs({ trials: String(r.trials.length), best: r.best?.name ?? '' });
    }

    const before = deps ? await beforeTraining(deps, inputs) : { train: true as const, overlay: {} };
    if (!before.train) {
      log.notice(`not training: ${before.reason}`);
      return;
    }
    const flags = parseFlags({ ...raw, ...before.overlay }, 'action');
    try {
      await trainStep(flags, inputs, { log, ctx, deps, before, opts });
    } catch (e) {
      if (deps && !(e instanceof QualityGateError))
        await trainingFailed(deps, before).catch((x) =>
          log.warning(`could not react to the /train comment: ${(x as Error).message}`),
        );
      throw e;
    }
  } catch (e) {
    fail(e);
  }
}

interface TrainContext {
  log: ActionsLogger;
  ctx?: RunContext;
  deps?: Deps;
  before: Extract<Awaited<ReturnType<typeof beforeTraining>>, { train: true }>;
  opts: MainOptions;
}

async function trainStep(flags: ActionFlags, inputs: GitHubInputs, t: TrainContext): Promise<void> {
  const { log } = t;
  // resume: auto: a re-run of a cancelled job continues from the cancelled attempt's checkpoint.
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
  const hub = hubPushDecision(flags.push_to_hub, t.ctx, t.before.headRepo);
  if (flags.push_to_hub !== false && !hub.push) log.notice(`push_to_hub: not pushing to the Hub: ${hub.reason}`);
  const run: ActionFlags = {
    ...flags,
    push_to_hub: hub.push,
    ...(previous ? { resume_from: previous.dir } : {}),
    // The artifact carries predictions.csv even when the user did not ask for a file.
    predictions_file: flags.predictions_file ?? join(flags.output_dir, 'predictions.csv'),
    // auto: scheduled runs retrain on what the datastore URL serves now (checked, re-downloaded if changed).
    datastore_refresh: datastoreRefreshFor(flags.datastore_refresh, t.ctx?.eventName),
  };

  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    // The runner cancels with SIGINT, then SIGTERM a few seconds later: both mean "checkpoint,
    // upload, exit". A second signal must not cut the upload short.
    if (controller.signal.aborted) return log.warning(`${sig} again: still saving and uploading the checkpoint`);
    log.warning(`${sig}: stopping after the current step; the checkpoint will be saved and uploaded`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runToolCache = process.env.RUNNER_TOOL_CACHE;
  // One log group per epoch: opened by its first step, closed by its epoch event, so the epoch's
  // summary line (logged right after) stays visible.
  let openEpoch = 0;
  const onEvent = (e: MetricsEvent) => {
    if (e.type === 'step' && e.epoch !== openEpoch) {
      openEpoch = e.epoch;
      log.section(`Epoch ${e.epoch}/${flags.max_epochs}`);
    } else if (e.type === 'epoch') {
      log.endSection();
      openEpoch = 0;
    }
  };
  const train = (f: ActionFlags) =>
    runTraining(f, {
      log,
      signal: controller.signal,
      progressSeconds: t.opts.progressSeconds ?? 30,
      onEvent,
      defaultCacheDir: runToolCache ? join(runToolCache, 'textclf') : undefined,
      // The report is rendered here, once the baseline comparison and the artifact are known.
      report: false,
      hubToken: flags.hub_token || undefined,
      // A /train run trains the PR head the workflow checked out (chatops output head_sha), not GITHUB_SHA.
      runFacts: {
        ...((t.before.sha ?? t.ctx?.sha) ? { commit: t.before.sha ?? t.ctx!.sha } : {}),
        ...(t.opts.provisioningSeconds !== undefined ? { phases: { provisioning: t.opts.provisioningSeconds } } : {}),
      },
      flagStyle: 'action',
    });
  // The device (CUDA preflight and probe, WebGPU, the CPU fallback) is decided inside the run,
  // before any data is read: gpus/device/allow_cpu_fallback mean the same on the CLI.
  const result = await train(run).finally(() => log.endSection());
  const { metrics } = result;

  // Baseline and gates before the report: the report shows the comparison (nothing is posted yet).
  const comparison = t.deps ? await compareStep(t.deps, inputs, metrics) : undefined;
  const scheduled = t.ctx?.eventName === 'schedule';
  const gatesSet = inputs.minAccuracy !== undefined || inputs.failOnRegression !== undefined;
  const sections =
    comparison && (comparison.comparedWith || scheduled)
      ? [
          renderComparison({
            metrics,
            comparedWith: comparison.comparedWith,
            note: comparison.baselineNote,
            gates: gatesSet ? comparison.failures : undefined,
            scheduled,
          }),
        ]
      : [];
  const name = artifactName(flags.artifact_name);
  const runLink = t.ctx ? runUrl(t.ctx) : undefined;
  // The Hub commit is linked (or its failure noted) next to the artifact.
  const pushed = hubReportParts(result.hub, result.outputDir);
  const render = (artifacts: ArtifactLink[], notices: string[] = []) =>
    renderReport(metrics, {
      artifacts: [...artifacts, ...pushed.links],
      runUrl: runLink,
      sections,
      notices: [...notices, ...pushed.notices],
    });

  // report.md travels in the artifact, so it is written before the upload (without the artifact's
  // own link, which exists only after it); the summary and the local report.md then get the link.
  const collect = () => collectFiles(result.outputDir, metrics, flags.save_checkpoints, result.files);
  const listed = summaryFiles([...relativeTo(result.outputDir, collect()), 'report.md']);
  writeFileAtomic(result.reportPath, render([{ name, files: [...new Set(listed)] }]));
  const files = collect();
  let uploaded: UploadResult | undefined;
  let uploadError: unknown;
  await log.group(`Upload artifact ${name}`, async () => {
    try {
      uploaded = await uploadArtifact({
        name,
        rootDir: result.outputDir,
        files,
        retentionDays: flags.retention_days,
        log,
      });
    } catch (e) {
      uploadError = e;
    }
  });
  const report = uploaded
    ? render([{ name: uploaded.name, url: uploaded.url, files: summaryFiles(uploaded.files) }])
    : render(
        [],
        [
          `The artifact upload failed: ${(uploadError as Error).message}. Training finished and every result is on the runner in ${result.outputDir}.`,
        ],
      );
  writeFileAtomic(result.reportPath, report);
  await core.summary.addRaw(report).write();

  setOutputs({
    ...metricOutputs(metrics),
    checkpoint_dir: result.checkpointDir,
    resumed_from: metrics.resumedFrom?.checkpoint ?? '',
    artifact_id: uploaded ? String(uploaded.id) : '',
    artifact_url: uploaded?.url ?? '',
    report_path: result.reportPath,
    hub_commit_url: result.hub?.commit?.url ?? '',
  });

  // The PR comment and reactions also when the upload failed: the results exist, only the link is missing.
  if (t.deps) {
    await afterTraining(
      t.deps,
      inputs,
      t.before,
      {
        metrics,
        reportMarkdown: report,
        artifacts: [
          ...(uploaded?.url ? [{ name: uploaded.name, url: uploaded.url }] : []),
          ...pushed.links.flatMap((l) => (l.url ? [{ name: l.name, url: l.url }] : [])),
        ],
      },
      comparison,
    );
  }
  if (uploadError) throw uploadError;
  if (result.hub?.error)
    throw new HubPushError(
      `the push to the Hugging Face Hub (${result.hub.repo}) failed: ${result.hub.error}. Training finished; every result is ${uploaded ? `in the artifact ${uploaded.name}` : 'on the runner'}`,
      'push_to_hub',
    );
  if (comparison?.failures.length) throw new QualityGateError(comparison.failures);
  if (metrics.run.cancelled) {
    throw new Error(
      `training was cancelled at step ${metrics.run.totalSteps}; checkpoint ${result.checkpointDir} ` +
        (uploaded ? `was uploaded as artifact ${uploaded.name}` : 'is on the runner') +
        '; resume with resume_from',
    );
  }
}

function relativeTo(root: string, files: string[]): string[] {
  return files.map((f) => relative(root, f).split(sep).join('/'));
}

/** The checkpoint tree is long: the summary lists top-level entries only. */
function summaryFiles(files: string[]): string[] {
  return [
    ...new Set(
      files.map((f) =>
        f.startsWith('checkpoints/')
          ? f.split('/').slice(0, 2).join('/') + '/'
          : f.startsWith('tensorboard/')
            ? 'tensorboard/'
            : f,
      ),
    ),
  ];
}

function tryContext(log: Logger): RunContext | undefined {
  try {
    return contextFromEnv();
  } catch (e) {
    log.warning(`no GitHub context (${(e as Error).message}); PR comments and gates are skipped`);
    return undefined;
  }
}

/** Typed user errors become an annotation titled with the input they are about. */
function fail(e: unknown): void {
  const err = e as Error & { flag?: string };
  const title = err.flag
    ? `textclf: input ${err.flag}`
    : err.name && err.name !== 'Error'
      ? `textclf: ${err.name}`
      : 'textclf';
  if (err.stack) core.debug(err.stack);
  // setFailed would print a second, untitled annotation: one titled error + the exit code suffice.
  core.error(err.message ?? String(e), { title });
  process.exitCode = 1;
}
