// What the GitHub runner gives a node action, rebuilt for tests: INPUT_* for every action.yml
// input (defaults filled in, `with:` on top, `${{ github.token }}` evaluated), the GITHUB_* files,
// and a clean process env (no npm_config_*, no NODE_OPTIONS from jest). Plus a reader for the
// GITHUB_OUTPUT file format.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** INPUT_<NAME> for every input of `actionYml`, as the runner sets them. */
export function inputEnv(actionYml: string, withInputs: Record<string, string>, token: string): Record<string, string> {
  const meta = parseYaml(readFileSync(actionYml, 'utf8')) as { inputs: Record<string, { default?: string }> };
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs)) {
    const value = withInputs[name] ?? (spec.default === '${{ github.token }}' ? token : (spec.default ?? ''));
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  return env;
}

/** Parses GITHUB_OUTPUT (name<<delimiter ... delimiter blocks, as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}

export interface RunnerFiles {
  dir: string;
  workspace: string;
  temp: string;
  event: string;
  summary: string;
  output: string;
}

/** Creates the per-step files and folders the runner provides (event payload, summary, outputs). */
export function runnerFiles(dir: string, eventPayload: unknown): RunnerFiles {
  const f = {
    dir,
    workspace: join(dir, 'workspace'),
    temp: join(dir, 'temp'),
    event: join(dir, 'event.json'),
    summary: join(dir, 'summary.md'),
    output: join(dir, 'output.txt'),
  };
  mkdirSync(f.workspace, { recursive: true });
  mkdirSync(f.temp, { recursive: true });
  writeFileSync(f.event, JSON.stringify(eventPayload));
  writeFileSync(f.summary, '');
  writeFileSync(f.output, '');
  return f;
}

export interface StepResult {
  code: number | null;
  stdout: string;
  seconds: number;
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Runs `node <entry>` with exactly `env` (plus PATH and HOME), cwd = the workspace. `cancelWhen`:
 * once the output matches, cancel like the runner (SIGINT, then SIGTERM while the step is stopping).
 */
export async function runNodeStep(
  entry: string,
  files: RunnerFiles,
  env: Record<string, string>,
  opts: { cancelWhen?: RegExp; cancelDelayMs?: number } = {},
): Promise<StepResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [entry], {
    cwd: files.workspace,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? files.dir,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_OUTPUT: files.output,
      GITHUB_WORKSPACE: files.workspace,
      RUNNER_TEMP: files.temp,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let signalled = false;
  let terminated = false;
  // Two kill() calls back to back may be delivered in either order; send SIGTERM once the step has
  // acknowledged SIGINT (or after 5 s), so it arrives while the checkpoint is being saved.
  const terminate = () => {
    if (!terminated) {
      terminated = true;
      child.kill('SIGTERM');
    }
  };
  const onData = (d: Buffer) => {
    stdout += d.toString();
    if (opts.cancelWhen && !signalled && opts.cancelWhen.test(stdout)) {
      signalled = true;
      setTimeout(() => {
        child.kill('SIGINT');
        setTimeout(terminate, 5000).unref();
      }, opts.cancelDelayMs ?? 1500);
    }
    if (signalled && !terminated && /SIGINT: stopping/.test(stdout)) terminate();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  return {
    code,
    stdout,
    seconds: (Date.now() - started) / 1000,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
  };
}
