// Runs the PyTorch reference (../shared/reference/torch_bert.py) with Debian's /usr/bin/python3.
// A missing torch FAILS the calling test with the fix, it never skips it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REFERENCE_DIR = process.env.TORCH_BERT_DIR ?? resolve(here, '..', '..', '..', 'shared', 'reference');
export const TORCH_BERT = join(REFERENCE_DIR, 'torch_bert.py');
export const PYTHON = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3';

export function requireTorch(): void {
  if (!existsSync(TORCH_BERT)) throw new Error(`the PyTorch reference is missing: ${TORCH_BERT} (set TORCH_BERT_DIR)`);
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      `${PYTHON} cannot import torch: install it with \`bash ${join(REFERENCE_DIR, 'setup.sh')}\` (Debian python3-torch), then rerun`,
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

export function torchBert(args: string[]): string {
  return python([TORCH_BERT, ...args]);
}
