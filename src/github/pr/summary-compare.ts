// The job summary's comparison section: this run against what its deltas and gates were computed
// with (the previous scheduled run on `schedule` events, the default-branch baseline otherwise),
// plus the gate outcome. Appended below the report once the baseline is known.
import type { MetricsFile } from '../../metrics/types.js';
import { deltaTable, finalMetrics, type FinalMetrics } from './compare.js';
import { gateOutcome, type GateFailure } from './gates.js';
import { escapeMarkdown } from '../../util/markdown-safe.js';

export interface ComparedWith {
  label: string;
  url?: string;
  metrics: FinalMetrics;
}

export interface ComparisonInput {
  metrics: MetricsFile;
  comparedWith?: ComparedWith;
  /** Why there is nothing to compare with (shown when comparedWith is absent). */
  note?: string;
  /** The gate results, when any gate was set. */
  gates?: GateFailure[];
  scheduled: boolean;
}

export function renderComparison(input: ComparisonInput): string {
  const title = input.scheduled ? 'Compared with the previous scheduled run' : 'Compared with the baseline';
  const lines = [`## ${title}`, ''];
  if (input.comparedWith) lines.push(...deltaTable(finalMetrics(input.metrics), input.comparedWith));
  else lines.push(`_Nothing to compare with: ${escapeMarkdown(input.note ?? 'no earlier run', 300)}._`);
  if (input.gates) lines.push('', gateOutcome(input.gates));
  return lines.join('\n') + '\n';
}
