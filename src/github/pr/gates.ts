// Quality gates: `min_accuracy` (absolute floor) and `fail_on_regression` (tolerance against the
// baseline, for accuracy and F1). Each failure names the metric, the values and the shortfall.
import type { FinalMetrics } from './compare.js';
import { escapeMarkdown } from '../../util/markdown-safe.js';

export interface GateOptions {
  minAccuracy?: number;
  failOnRegression?: number;
}
export interface GateFailure {
  gate: 'min_accuracy' | 'fail_on_regression';
  metric: 'accuracy' | 'f1';
  message: string;
  shortfall: number;
}

export class QualityGateError extends Error {
  override name = 'QualityGateError';
  constructor(readonly failures: GateFailure[]) {
    super(failures.map((f) => f.message).join('\n'));
  }
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const pp = (v: number) => `${(v * 100).toFixed(2)} pp`;

export function evaluateGates(
  current: FinalMetrics,
  baseline: { metrics: FinalMetrics; label: string } | undefined,
  opts: GateOptions,
): GateFailure[] {
  const out: GateFailure[] = [];
  if (opts.minAccuracy !== undefined) {
    if (current.accuracy === undefined) {
      out.push({
        gate: 'min_accuracy',
        metric: 'accuracy',
        shortfall: opts.minAccuracy,
        message: `min_accuracy: this run has no accuracy (no test or validation split), so it cannot be checked against ${pct(opts.minAccuracy)}; add a valid_file or test_file`,
      });
    } else if (current.accuracy < opts.minAccuracy) {
      const short = opts.minAccuracy - current.accuracy;
      out.push({
        gate: 'min_accuracy',
        metric: 'accuracy',
        shortfall: short,
        message: `min_accuracy: ${current.multiLabel ? 'subset accuracy' : 'accuracy'} ${pct(current.accuracy)} is below ${pct(opts.minAccuracy)} by ${pp(short)}`,
      });
    }
  }
  if (opts.failOnRegression !== undefined && baseline) {
    for (const metric of ['accuracy', 'f1'] as const) {
      const c = current[metric],
        b = baseline.metrics[metric];
      if (c === undefined || b === undefined) continue;
      const drop = b - c;
      if (drop > opts.failOnRegression + 1e-12) {
        out.push({
          gate: 'fail_on_regression',
          metric,
          shortfall: drop,
          message: `fail_on_regression: ${metric === 'f1' ? 'F1' : current.multiLabel ? 'subset accuracy' : 'accuracy'} dropped by ${pp(drop)} (${pct(b)} → ${pct(c)}) against ${baseline.label}, more than the tolerance of ${pp(opts.failOnRegression)}`,
        });
      }
    }
  }
  return out;
}

/** The gate outcome line(s), with each failure's message escaped. */
export function gateOutcome(failures: GateFailure[]): string {
  return failures.length === 0
    ? '✅ Quality gates passed.'
    : `❌ Quality gates failed:\n${failures.map((g) => `- ${escapeMarkdown(g.message, 400)}`).join('\n')}`;
}
