// Runs ../shared/reference/torch_encoders.py (RoBERTa, DistilBERT, ModernBERT) with Debian's
// /usr/bin/python3; a missing torch fails the calling test with the fix (see reference.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { python, REFERENCE_DIR, requireTorch } from './reference.js';

export const TORCH_ENCODERS = join(REFERENCE_DIR, 'torch_encoders.py');

export function requireEncoderReference(): void {
  requireTorch();
  if (!existsSync(TORCH_ENCODERS))
    throw new Error(`the PyTorch reference is missing: ${TORCH_ENCODERS} (set TORCH_BERT_DIR)`);
}

export function torchEncoders(args: string[]): string {
  return python([TORCH_ENCODERS, ...args]);
}

export type Arch = 'roberta' | 'distilbert' | 'modernbert';

/** JSON lines of a reference command. */
export function jsonLines<T>(out: string): T[] {
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}
