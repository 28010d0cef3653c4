// The action's trainer callback: once the run's results are written (onRunEnd), the baseline
// comparison and gates, report.md (it travels in the artifact, so it is written before the upload,
// then again with the artifact's link), the artifact upload, the job summary, the step outputs and
// the PR comment and reactions. Nothing here throws for a failed upload, Hub push, gate or cancel:
// they become `outcome.failure`, which fails the step after its outputs are set.
import { relative, sep } from 'node:path';
import * as core from '@actions/core';
import { artifactName, collectFiles, uploadArtifact, type UploadResult } from '../github/artifacts/upload.js';
import { runUrl, type RunContext } from '../github/events.js';
import { afterTraining, compareStep, type Before, type Deps, type GitHubInputs } from '../github/flow.js';
import { QualityGateError } from '../github/pr/gates.js';
import type { Comparison } from '../github/pr/pr-report.js';
import { renderComparison } from '../github/pr/summary-compare.js';
import { renderReport, type ArtifactLink } from '../report/markdown.js';
import { HubPushError, hubReportParts, type Callback, type RunResult, type TrainerView } from '../train/run.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import type { ActionFlags, ModeResult } from './mode.js';
import { metricOutputs } from './outputs.js';

export interface PublishContext {
  flags: Pick<ActionFlags, 'artifact_name' | 'save_checkpoints' | 'retention_days'>;
  inputs: GitHubInputs;
  before: Extract<Before, { train: true }>;
  ctx?: RunContext;
  /** GitHub: baseline, gates, PR comment (absent without a token or context). */
  deps?: Deps;
  log: Logger;
  /** Tests: the job summary's writer (default @actions/core's). */
  summary?: (markdown: string) => Promise<void>;
  /** Tests: the artifact upload (default @actions/artifact's). */
  upload?: typeof uploadArtifact;
}

type Upload = { uploaded: UploadResult; error?: undefined } | { uploaded?: undefined; error: Error };

export class Publish implements Callback {
  /** The step's outputs and why it fails, once the run ended. */
  outcome?: ModeResult;

  constructor(readonly c: PublishContext) {}

  async onRunEnd(_t: TrainerView, result: RunResult): Promise<void> {
    const c = this.c;
    const { metrics } = result;
    // Baseline and gates before the report: the report shows the comparison (nothing is posted yet).
    const comparison = c.deps ? await compareStep(c.deps, c.inputs, metrics) : undefined;
    const render = renderer(result, comparison, c);
    const name = artifactName(c.flags.artifact_name);
    const files = () => collectFiles(result.outputDir, metrics, c.flags.save_checkpoints, result.files);
    const listed = summaryFiles([...relativeTo(result.outputDir, files()), 'report.md']);
    writeFileAtomic(result.reportPath, render([{ name, files: [...new Set(listed)] }]));
    const upload = await uploadStep(name, result.outputDir, files(), c);
    const report = upload.uploaded
      ? render([{ name: upload.uploaded.name, url: upload.uploaded.url, files: summaryFiles(upload.uploaded.files) }])
      : render(
          [],
          [
            `The artifact upload failed: ${upload.error.message}. Training finished and every result is on the runner in ${result.outputDir}.`,
          ],
        );
    writeFileAtomic(result.reportPath, report);
    await (
      c.summary ??
      ((m) =>
        core.summary
          .addRaw(m)
          .write()
          .then(() => undefined))
    )(report);
    const outputs = stepOutputs(result, upload);
    // The PR comment and reactions also when the upload failed: the results exist, only the link is missing.
    let failure: unknown;
    try {
      if (c.deps) await afterTraining(c.deps, c.inputs, c.before, prReport(result, report, upload), comparison);
    } catch (e) {
      failure = e;
    }
    this.outcome = { outputs, failure: failure ?? runFailure(result, upload, comparison) };
  }
}

/** report.md with the comparison, the run's link, the artifact and the Hub push. */
function renderer(result: RunResult, comparison: Comparison | undefined, c: PublishContext) {
  const scheduled = c.ctx?.eventName === 'schedule';
  const gatesSet = c.inputs.minAccuracy !== undefined || c.inputs.failOnRegression !== undefined;
  const sections =
    comparison && (comparison.comparedWith || scheduled)
      ? [
          renderComparison({
            metrics: result.metrics,
            comparedWith: comparison.comparedWith,
            note: comparison.baselineNote,
            gates: gatesSet ? comparison.failures : undefined,
            scheduled,
          }),
        ]
      : [];
  // The Hub commit is linked (or its failure noted) next to the artifact.
  const pushed = hubReportParts(result.hub, result.outputDir);
  const runLink = c.ctx ? runUrl(c.ctx) : undefined;
  return (artifacts: ArtifactLink[], notices: string[] = []) =>
    renderReport(result.metrics, {
      artifacts: [...artifacts, ...pushed.links],
      runUrl: runLink,
      sections,
      notices: [...notices, ...pushed.notices],
    });
}

async function uploadStep(name: string, rootDir: string, files: string[], c: PublishContext): Promise<Upload> {
  let upload: Upload | undefined;
  await c.log.group(`Upload artifact ${name}`, async () => {
    const send = c.upload ?? uploadArtifact;
    try {
      upload = { uploaded: await send({ name, rootDir, files, retentionDays: c.flags.retention_days, log: c.log }) };
    } catch (e) {
      upload = { error: e as Error };
    }
  });
  return upload!;
}

function stepOutputs(result: RunResult, upload: Upload): Record<string, string> {
  const { metrics } = result;
  return {
    ...metricOutputs(metrics),
    checkpoint_dir: result.checkpointDir,
    resumed_from: metrics.resumedFrom?.checkpoint ?? '',
    artifact_id: upload.uploaded ? String(upload.uploaded.id) : '',
    artifact_url: upload.uploaded?.url ?? '',
    report_path: result.reportPath,
    hub_commit_url: result.hub?.commit?.url ?? '',
  };
}

function prReport(result: RunResult, report: string, upload: Upload) {
  const pushed = hubReportParts(result.hub, result.outputDir);
  return {
    metrics: result.metrics,
    reportMarkdown: report,
    artifacts: [
      ...(upload.uploaded?.url ? [{ name: upload.uploaded.name, url: upload.uploaded.url }] : []),
      ...pushed.links.flatMap((l) => (l.url ? [{ name: l.name, url: l.url }] : [])),
    ],
  };
}

/** Why the step fails although training finished: the upload, the Hub push, a gate, a cancel (in that order). */
function runFailure(result: RunResult, upload: Upload, comparison: Comparison | undefined): Error | undefined {
  const { metrics } = result;
  if (upload.error) return upload.error;
  if (result.hub?.error)
    return new HubPushError(
      `the push to the Hugging Face Hub (${result.hub.repo}) failed: ${result.hub.error}. Training finished; every result is ${upload.uploaded ? `in the artifact ${upload.uploaded.name}` : 'on the runner'}`,
      'push_to_hub',
    );
  if (comparison?.failures.length) return new QualityGateError(comparison.failures);
  if (metrics.run.cancelled)
    return new Error(
      `training was cancelled at step ${metrics.run.totalSteps}; checkpoint ${result.checkpointDir} ` +
        (upload.uploaded ? `was uploaded as artifact ${upload.uploaded.name}` : 'is on the runner') +
        '; resume with resume_from',
    );
  return undefined;
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
