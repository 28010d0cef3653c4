// Step outputs: the final metrics (test split, else the best validation epoch) and paths.
import * as core from '@actions/core';
import { finalMetrics } from '../github/compare.js';
import type { MetricsFile } from '../train/metrics-types.js';

/** accuracy/f1/loss outputs: the same pick as deltas and gates; empty without an evaluated split. */
export function metricOutputs(m: MetricsFile): { accuracy: string; f1: string; loss: string } {
  const f = finalMetrics(m);
  const evaluated = f.source === 'test' || f.source === 'validation';
  const s = (x: number | undefined) => (!evaluated || x === undefined || !Number.isFinite(x) ? '' : String(x));
  return { accuracy: s(f.accuracy), f1: s(f.f1), loss: s(f.loss) };
}

export function setOutputs(outputs: Record<string, string>): void {
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
}
