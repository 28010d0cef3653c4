// Lightning's int-vs-float rule for limit_*_batches and val_check_interval: an integer is a count of
// batches, a decimal a fraction of the epoch. "1" is one batch, "1.0" the whole epoch.
import type { BatchAmountText } from './schema.js';

export type BatchAmount = { kind: 'batches'; count: number } | { kind: 'fraction'; fraction: number };

const INT = /^\+?\d+$/;
const DECIMAL = /^\+?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$/;

/** Why `text` is not a batch amount, or undefined when it is one. */
export function batchAmountProblem(text: string): string | undefined {
  const t = text.trim();
  if (INT.test(t)) return Number(t) >= 1 && Number.isSafeInteger(Number(t)) ? undefined : 'a count must be >= 1';
  if (DECIMAL.test(t)) {
    const v = Number(t);
    return v > 0 && v <= 1 ? undefined : 'a fraction must be in (0.0, 1.0]';
  }
  return 'not a number';
}

/** Reads a validated flag value (see batchAmountProblem). */
export function batchAmount(text: BatchAmountText | string): BatchAmount {
  const t = text.trim();
  if (batchAmountProblem(t)) throw new RangeError(`'${text}' is not a batch count or fraction`);
  return INT.test(t) ? { kind: 'batches', count: Number(t) } : { kind: 'fraction', fraction: Number(t) };
}

/** Batches out of `total` (at least 1 when total > 0): Lightning's int(total * fraction), or min(count, total). */
export function limitBatches(total: number, a: BatchAmount): number {
  if (total <= 0) return 0;
  return a.kind === 'batches' ? Math.min(total, a.count) : Math.max(1, Math.floor(total * a.fraction));
}

export function describeBatchAmount(a: BatchAmount): string {
  return a.kind === 'batches' ? `${a.count} batch${a.count === 1 ? '' : 'es'}` : `${a.fraction * 100}%`;
}
