// Runs the repository's PyTorch reference (test/reference/reference.py: BERT, RoBERTa / XLM-R,
// DistilBERT, ModernBERT) with Debian's /usr/bin/python3. A missing torch FAILS the calling test
// with the fix, it never skips it.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REFERENCE = resolve(here, '..', 'reference', 'reference.py');
export const PYTHON = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3';
const INSTALL = join('scripts', 'install-test-deps.mjs');

export function requireTorch(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      `${PYTHON} cannot import torch and numpy, which the PyTorch reference needs: on Debian/Ubuntu run \`sudo node ${INSTALL}\` (python3-torch, python3-numpy), then rerun`,
    );
  }
}

/** Runs a python script and returns its stdout. */
export function python(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(PYTHON, args, {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `reference.py <args>`: init, forward or train (see test/reference/README.md). */
export function reference(args: string[]): string {
  return python([REFERENCE, ...args]);
}

/** The JSON lines a reference command prints. */
export function jsonLines<T>(out: string): T[] {
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

/** The reference's per-step line of `train`. */
export type RefStep = { step: number; loss: number; lr: number; grad_norm: number };

/**
 * Biases of the parity fixtures are drawn from normal(0, BIAS_STD), not zero: weight decay wrongly
 * applied to them must move the weights by more than the tolerance (see compare.ts).
 */
export const BIAS_STD = '0.2';
