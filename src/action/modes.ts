// The action's modes, each a call into the library that returns its step outputs and, when the
// step is to fail after them, why: plan and aggregate (sweeps), chatops (a /train comment),
// predict and evaluate (score.ts), train (train.ts). main.ts sets the outputs and fails the step.
import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { parseFlags } from '../config/parse.js';
import { githubClient } from '../github/client.js';
import { contextFromEnv, type RunContext } from '../github/events.js';
import { chatopsStep, githubInputs, planStep, type Deps, type GitHubInputs } from '../github/flow.js';
import type { CommentMode } from '../github/pr/sticky-comment.js';
import { aggregateSweep } from '../github/sweep/aggregate.js';
import { defaultCacheDir } from '../util/cache-dir.js';
import type { Logger } from '../util/logger.js';
import type { ActionsLogger } from './logger.js';
import type { MainOptions, ModeResult } from './mode.js';
import { evaluateStep, predictStep, type ScoreContext } from './score.js';
import { trainMode } from './train.js';

export async function runMode(
  raw: Record<string, string>,
  c: { log: ActionsLogger; token: string; opts: MainOptions },
): Promise<ModeResult> {
  const base = parseFlags(raw, 'action');
  const inputs = githubInputs(base);
  const mode = String(base.mode ?? 'train');
  if (mode === 'plan') return planStep(inputs);
  if (mode === 'predict') return predictStep(parseFlags(raw, 'action', 'predict'), scoreContext(c.log));
  if (mode === 'evaluate') return evaluateStep(parseFlags(raw, 'action', 'evaluate'), scoreContext(c.log));
  const ctx = tryContext(c.log);
  const deps = ctx && c.token ? githubDeps(ctx, c.token, c.log) : undefined;
  if (!deps && mode !== 'train') throw new Error(`mode: ${mode} needs the GitHub context and github_token`);
  if (mode === 'chatops') return { outputs: (await chatopsStep(deps!, inputs)).outputs };
  if (mode === 'aggregate') return aggregateMode(deps!, inputs);
  return trainMode(raw, inputs, { log: c.log, ctx, deps, opts: c.opts });
}

async function aggregateMode(deps: Deps, inputs: GitHubInputs): Promise<ModeResult> {
  const r = await aggregateSweep({
    octokit: deps.octokit,
    token: deps.token,
    ctx: deps.ctx,
    prefix: inputs.artifactName ?? 'textclf',
    comment: inputs.comment as CommentMode,
  });
  await core.summary.addRaw(r.markdown).write();
  return { outputs: { trials: String(r.trials.length), best: r.best?.name ?? '' } };
}

function scoreContext(log: Logger): ScoreContext {
  return { log, defaultCacheDir: defaultCacheDir('action'), tempDir: process.env.RUNNER_TEMP || tmpdir() };
}

function githubDeps(ctx: RunContext, token: string, log: Logger): Deps {
  const warn = (m: string) => log.warning(m);
  return { octokit: githubClient(token, { baseUrl: ctx.apiUrl, warn }), token, ctx, warn };
}

function tryContext(log: Logger): RunContext | undefined {
  try {
    return contextFromEnv();
  } catch (e) {
    log.warning(`no GitHub context (${(e as Error).message}); PR comments and gates are skipped`);
    return undefined;
  }
}
