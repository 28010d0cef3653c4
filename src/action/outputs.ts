// Step outputs: the final metrics (test split, else the best validation epoch) and paths.
import * as core from '@actions/core';
import type { EvalMetrics, MetricsFile } from '../train/metrics-types.js';

export function finalEval(m: MetricsFile): EvalMetrics | undefined {
  return m.test ?? m.epochs.find((e) => e.epoch === m.bestEpoch)?.validation ?? [...m.epochs].reverse().find((e) => e.validation)?.validation;
}

export function finalMetrics(m: MetricsFile): { accuracy: string; f1: string; loss: string } {
  const e = finalEval(m);
  const s = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : String(x));
  return { accuracy: s(e?.accuracy), f1: s(e?.f1), loss: s(e?.loss) };
}

export function setOutputs(outputs: Record<string, string>): void {
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, v);
}
