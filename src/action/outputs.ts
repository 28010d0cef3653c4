// Step outputs: the final metrics (test split, else the best validation epoch) and paths.
import * as core from '@actions/core';
import { finalEval } from '../github/pr/compare.js';
import type { MetricsFile } from '../metrics/types.js';

/** accuracy/f1/loss outputs: the evaluation deltas and gates use; empty without an evaluated split. */
export function metricOutputs(m: MetricsFile): { accuracy: string; f1: string; loss: string } {
  const e = finalEval(m)?.metrics;
  const s = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : String(x));
  return { accuracy: s(e?.accuracy), f1: s(e?.f1), loss: s(e?.loss) };
}

export function setOutputs(outputs: Record<string, string>): void {
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
}
