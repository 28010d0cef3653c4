// The headline numbers of a run and their change against another run (baseline, previous
// scheduled model, sweep trials). Accuracy/F1 deltas are in percentage points, loss in absolute units.
import type { EvalMetrics, MetricsFile } from '../../metrics/types.js';
import { link } from '../../util/markdown-safe.js';

export type MetricName = 'accuracy' | 'f1' | 'loss';
export const METRICS: readonly MetricName[] = ['accuracy', 'f1', 'loss'];
export const METRIC_LABEL: Record<MetricName, string> = { accuracy: 'accuracy', f1: 'F1 (macro)', loss: 'loss' };

/** A metric's name for a run: multi-label accuracy is subset accuracy. */
export function metricLabel(metric: MetricName, multiLabel?: boolean): string {
  return multiLabel && metric === 'accuracy' ? 'subset accuracy' : METRIC_LABEL[metric];
}

export interface FinalMetrics {
  accuracy?: number;
  f1?: number;
  loss?: number;
  source: 'test' | 'validation' | 'train' | 'none';
  /** Multi-label run: accuracy is subset accuracy; F1 micro is shown too. */
  multiLabel?: boolean;
  f1Micro?: number;
}

/**
 * The run's final evaluation: the test split if there was one, else the validation of the epoch
 * checkpoints/final holds (finalEpoch: the best by monitor, or the last with test_on last).
 */
export function finalEval(m: MetricsFile): { metrics: EvalMetrics; source: 'test' | 'validation' } | undefined {
  if (m.test) return { metrics: m.test, source: 'test' };
  const withVal = m.epochs.filter((e) => e.validation);
  const best =
    withVal.find((e) => e.epoch === (m.finalEpoch ?? m.bestEpoch)) ??
    withVal.find((e) => e.epoch === m.bestEpoch) ??
    withVal[withVal.length - 1];
  return best?.validation ? { metrics: best.validation, source: 'validation' } : undefined;
}

/** The headline numbers of finalEval, else the last train loss. */
export function finalMetrics(m: MetricsFile): FinalMetrics {
  const e = finalEval(m);
  const ml = e?.metrics.multiLabel;
  if (e)
    return {
      accuracy: e.metrics.accuracy,
      f1: e.metrics.f1,
      loss: e.metrics.loss,
      source: e.source,
      ...(ml ? { multiLabel: true, f1Micro: ml.microF1 } : {}),
    };
  const last = m.epochs[m.epochs.length - 1];
  return last ? { loss: last.trainLoss, source: 'train' } : { source: 'none' };
}

export interface Delta {
  metric: MetricName;
  current?: number;
  baseline?: number;
  delta?: number;
  improved?: boolean;
}

export function compareMetrics(current: FinalMetrics, baseline: FinalMetrics | undefined): Delta[] {
  return METRICS.map((metric) => {
    const c = current[metric],
      b = baseline?.[metric];
    if (c === undefined || b === undefined) return { metric, current: c, baseline: b };
    const delta = c - b;
    return { metric, current: c, baseline: b, delta, improved: metric === 'loss' ? delta < 0 : delta > 0 };
  });
}

export function formatMetric(metric: MetricName, v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return metric === 'loss' ? v.toFixed(4) : `${(v * 100).toFixed(2)}%`;
}

/** `▲ +1.20 pp` / `▼ −0.0123`; the arrow is the direction of the change, the emoji whether it is good. */
export function formatDelta(d: Delta): string {
  if (d.delta === undefined) return '–';
  const size = d.metric === 'loss' ? Math.abs(d.delta).toFixed(4) : `${(Math.abs(d.delta) * 100).toFixed(2)} pp`;
  if (Math.abs(d.delta) < 5e-5) return `= ${size}`; // below the shown precision
  const arrow = d.delta > 0 ? `▲ +${size}` : `▼ −${size}`;
  return `${arrow} ${d.improved ? '🟢' : '🔴'}`;
}

/** The markdown delta table (PR comment and job summary): this run against a linked baseline column. */
export function deltaTable(
  current: FinalMetrics,
  baseline: { label: string; url?: string; metrics: FinalMetrics } | undefined,
): string[] {
  const head = baseline ? link(baseline.label, baseline.url) : 'baseline';
  const micro = current.f1Micro !== undefined;
  const b = baseline?.metrics;
  return [
    `| ${current.source} | this run | ${head} | Δ |`,
    '| --- | ---: | ---: | --- |',
    ...compareMetrics(current, baseline?.metrics).map(
      (d) =>
        `| ${metricLabel(d.metric, current.multiLabel)} | ${formatMetric(d.metric, d.current)} | ${formatMetric(d.metric, d.baseline)} | ${formatDelta(d)} |`,
    ),
    ...(micro
      ? [
          `| F1 (micro) | ${formatMetric('f1', current.f1Micro)} | ${formatMetric('f1', b?.f1Micro)} | ${formatDelta({ metric: 'f1', current: current.f1Micro, baseline: b?.f1Micro, delta: b?.f1Micro === undefined ? undefined : current.f1Micro! - b.f1Micro, improved: b?.f1Micro !== undefined && current.f1Micro! > b.f1Micro })} |`,
        ]
      : []),
  ];
}
