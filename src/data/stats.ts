// Dataset statistics for reports: rows per split, label distribution, text length percentiles
// (in Unicode characters, the pair included).
import type { Example } from './types.js';

export interface DatasetStats {
  rows: Record<string, number>;
  /** per split: label -> count */
  labels: Record<string, Record<string, number>>;
  /** per split: text length (characters) percentiles */
  textLength: Record<string, { p50: number; p90: number; p99: number; max: number }>;
}

/** One split's share of DatasetStats. */
export interface SplitStats {
  rows: number;
  labels: Record<string, number>;
  textLength: { p50: number; p90: number; p99: number; max: number };
}

/** Split statistics gathered row by row (no rows kept: one number per row for the percentiles). */
export class SplitStatsBuilder {
  private readonly counts = new Map<string, number>(); // a Map: labels may be named like Object.prototype members
  private lengths = new Float64Array(1024);
  private n = 0;

  add(ex: Example): void {
    // multi-label rows count once per label they have
    for (const key of ex.labels ?? [String(ex.label)]) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.n === this.lengths.length) {
      const grown = new Float64Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[this.n++] = charLength(ex.text) + (ex.textPair ? charLength(ex.textPair) : 0);
  }

  finish(): SplitStats {
    const lengths = this.lengths.slice(0, this.n).sort();
    return {
      rows: this.n,
      labels: Object.fromEntries([...this.counts].sort(([a], [b]) => compareLabels(a, b))),
      textLength: {
        p50: percentile(lengths, 50),
        p90: percentile(lengths, 90),
        p99: percentile(lengths, 99),
        max: lengths.length ? lengths[lengths.length - 1]! : 0,
      },
    };
  }
}

/** DatasetStats from each split's statistics. */
export function combineStats(splits: Record<string, SplitStats | undefined>): DatasetStats {
  const stats: DatasetStats = { rows: {}, labels: {}, textLength: {} };
  for (const [split, s] of Object.entries(splits)) {
    if (!s) continue;
    stats.rows[split] = s.rows;
    stats.labels[split] = s.labels;
    stats.textLength[split] = s.textLength;
  }
  return stats;
}

export function datasetStats(splits: Record<string, readonly Example[] | undefined>): DatasetStats {
  const per: Record<string, SplitStats | undefined> = {};
  for (const [split, examples] of Object.entries(splits)) {
    if (!examples) continue;
    const b = new SplitStatsBuilder();
    for (const ex of examples) b.add(ex);
    per[split] = b.finish();
  }
  return combineStats(per);
}

/** Integer labels in numeric order, others by code point (as in the label map). */
function compareLabels(a: string, b: string): number {
  const int = /^-?\d+$/;
  if (int.test(a) && int.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Code points, not UTF-16 units: an emoji counts once. */
function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) n--;
  }
  return n;
}
