// mode predict / evaluate: the trained model (a path, or artifact:NAME[/PATH] of this workflow run)
// scores `input`; predict uploads the predictions as an artifact, evaluate gates with min_accuracy.
// Both write a job summary and return the step outputs (and why the step fails, if it does).
import { join } from 'node:path';
import * as core from '@actions/core';
import type { FlagsFor } from '../config/schema.js';
import { isArtifactRef, modelFromArtifact } from '../github/artifacts/model-artifact.js';
import { artifactName, uploadArtifact, type UploadResult } from '../github/artifacts/upload.js';
import { QualityGateError } from '../github/pr/gates.js';
import { md, mdLink } from '../report/escape.js';
import { renderEvaluation } from '../report/markdown.js';
import { displayModel, displayPath } from '../report/paths.js';
import { runEvaluate } from '../train/evaluate-model.js';
import { runPredict } from '../train/predict.js';
import type { Logger } from '../util/logger.js';
import type { ModeResult } from './mode.js';

export interface ScoreContext {
  log: Logger;
  defaultCacheDir: string;
  tempDir: string;
}

async function modelPath(model: string | undefined, t: ScoreContext): Promise<string | undefined> {
  if (!model || !isArtifactRef(model)) return model;
  const dir = await t.log.group(`Download ${model}`, () => modelFromArtifact(model, t.tempDir));
  t.log.info(`model ${model} is ${dir}`);
  return dir;
}

export async function predictStep(flags: FlagsFor<'action', 'predict'>, t: ScoreContext): Promise<ModeResult> {
  const model = await modelPath(flags.model, t);
  const r = await runPredict({ ...flags, model }, { log: t.log, defaultCacheDir: t.defaultCacheDir });
  const name = artifactName(flags.artifact_name ?? `textclf-predictions-${process.env.GITHUB_RUN_ID ?? 'local'}`);
  let uploaded: UploadResult | undefined;
  let uploadError: Error | undefined;
  await t.log.group(`Upload artifact ${name}`, async () => {
    try {
      uploaded = await uploadArtifact({
        name,
        rootDir: join(r.output, '..'),
        files: [r.output],
        retentionDays: flags.retention_days,
        log: t.log,
      });
    } catch (e) {
      uploadError = e as Error;
    }
  });
  const counts = Object.entries(r.counts).map(([l, n]) => `| ${md(l)} | ${n} |`);
  await core.summary
    .addRaw(
      [
        `## Predictions: ${md(displayModel(flags.model ?? ''))}`,
        '',
        `${r.rows} rows of ${md(displayPath(r.input, { cwd: process.cwd() }))}`,
        '',
        '| predicted label | rows |',
        '| --- | ---: |',
        ...counts,
        '',
        uploaded
          ? `Artifact: ${mdLink(uploaded.name, uploaded.url)}`
          : `> [!WARNING]\n> The artifact upload failed: ${md(uploadError?.message ?? '')}. The predictions are on the runner at ${md(displayPath(r.output, { cwd: process.cwd() }))}.`,
        '',
      ].join('\n'),
    )
    .write();
  return {
    outputs: {
      predictions_path: r.output,
      rows: String(r.rows),
      artifact_id: uploaded ? String(uploaded.id) : '',
      artifact_url: uploaded?.url ?? '',
    },
    failure: uploadError,
  };
}

export async function evaluateStep(flags: FlagsFor<'action', 'evaluate'>, t: ScoreContext): Promise<ModeResult> {
  const model = await modelPath(flags.model, t);
  const r = await runEvaluate({ ...flags, model }, { log: t.log, defaultCacheDir: t.defaultCacheDir });
  const summary = renderEvaluation({ ...r, model: flags.model ?? r.model });
  await core.summary.addRaw(summary + (r.gateFailure ? `\n❌ ${md(r.gateFailure)}\n` : '')).write();
  const s = (x: number) => (Number.isFinite(x) ? String(x) : '');
  const outputs = {
    accuracy: s(r.metrics.accuracy),
    f1: s(r.metrics.f1),
    loss: s(r.metrics.loss),
    rows: String(r.metrics.samples),
  };
  if (!r.gateFailure) return { outputs };
  const shortfall = flags.min_accuracy! - r.metrics.accuracy;
  const gate = { gate: 'min_accuracy' as const, metric: 'accuracy' as const, message: r.gateFailure, shortfall };
  return { outputs, failure: new QualityGateError([gate]) };
}
