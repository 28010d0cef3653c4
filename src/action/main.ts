// The action's entry, as actions/typescript-action's run(): read the inputs, call the library for
// the mode (modes.ts), set the step outputs, and fail the step on an error. Everything else is the
// library's: the training run and its callbacks (publish.ts: report, artifact, summary, PR comment),
// and the GitHub side (src/github/).
import * as core from '@actions/core';
import { readRawInputs, maskToken } from './inputs.js';
import { actionsLogger } from './logger.js';
import type { MainOptions } from './mode.js';
import { runMode } from './modes.js';
import { setOutputs } from './outputs.js';

export type { MainOptions } from './mode.js';

export async function run(opts: MainOptions = {}): Promise<void> {
  try {
    const token = maskToken(); // before anything can print it
    const { outputs, failure } = await runMode(readRawInputs(), { log: actionsLogger(), token, opts });
    setOutputs(outputs);
    if (failure) throw failure;
  } catch (e) {
    fail(e);
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
