// Mermaid xychart-beta charts of a run's epochs (GitHub renders them in job summaries and comments).
// Only numbers and fixed words go in: no user string can reach a chart. Mermaid's parser takes plain
// decimals only (`5.38e-7` is a syntax error that breaks the whole block), so every value is
// written without an exponent; lines carry titles ("train", "validation"), which Mermaid shows as
// a legend, and a caption under the chart names them for renderers that show no legend.
import type { EpochRecord } from '../metrics/types.js';

/** Significant digits kept: losses of a well-fitting run go far below 1e-6 and must stay distinct. */
const DIGITS = 6;

/** `x` in plain decimal notation with DIGITS significant digits: 5.38e-7 -> "0.000000538". */
export function plainNumber(x: number, digits = DIGITS): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const rounded = Number(x.toPrecision(digits));
  const text = String(rounded);
  if (!/e/i.test(text)) return text;
  const abs = Math.abs(rounded);
  if (abs >= 1) return BigInt(Math.round(rounded)).toString(); // >= 1e21
  // Enough decimals for `digits` significant ones (toFixed allows at most 100).
  const decimals = Math.min(100, digits - 1 - Math.floor(Math.log10(abs)));
  return rounded
    .toFixed(decimals)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

export interface Series {
  /** A fixed word (a Mermaid string: no quotes). */
  title: string;
  values: number[];
}

interface ChartSpec {
  title: string;
  xLabel: string;
  x: (string | number)[];
  yLabel: string;
  yRange?: [number, number];
  series: Series[];
}

/** A ```mermaid block; series with a non-finite value are left out and named in the caption. */
export function xyChart(spec: ChartSpec): string | undefined {
  const drawable = spec.series.filter((s) => s.values.every(Number.isFinite));
  const dropped = spec.series.filter((s) => !drawable.includes(s));
  const notes: string[] = [];
  if (drawable.length > 0) {
    const lines = drawable.map((s) => s.title).join(', ');
    notes.push(drawable.length > 1 ? `Lines, in order: ${lines}.` : `Line: ${lines}.`);
  }
  for (const s of dropped)
    notes.push(`${s.title} is not a finite number at some epoch (NaN or infinite): not charted.`);
  if (drawable.length === 0) return notes.length ? notes.join(' ') : undefined;
  const range = spec.yRange ? ` ${plainNumber(spec.yRange[0])} --> ${plainNumber(spec.yRange[1])}` : '';
  const block = [
    '```mermaid',
    'xychart-beta',
    `  title "${spec.title}"`,
    `  x-axis "${spec.xLabel}" [${spec.x.join(', ')}]`,
    `  y-axis "${spec.yLabel}"${range}`,
    ...drawable.map((s) => `  line "${s.title}" [${s.values.map((v) => plainNumber(v)).join(', ')}]`),
    '```',
  ].join('\n');
  return `${block}\n\n${notes.join(' ')}`;
}

/** Train and validation loss per epoch (validation only when every epoch has it). */
export function lossChart(epochs: EpochRecord[]): string | undefined {
  if (epochs.length === 0) return undefined;
  const series: Series[] = [{ title: 'train', values: epochs.map((e) => e.trainLoss) }];
  if (epochs.every((e) => e.validation))
    series.push({ title: 'validation', values: epochs.map((e) => e.validation!.loss) });
  return xyChart({
    title: 'Loss per epoch',
    xLabel: 'epoch',
    x: epochs.map((e) => e.epoch),
    yLabel: 'loss',
    series,
  });
}

/** Validation accuracy per epoch, on a 0..1 axis; undefined unless every epoch was validated. */
export function accuracyChart(epochs: EpochRecord[]): string | undefined {
  if (epochs.length === 0 || !epochs.every((e) => e.validation)) return undefined;
  return xyChart({
    title: 'Validation accuracy per epoch',
    xLabel: 'epoch',
    x: epochs.map((e) => e.epoch),
    yLabel: 'accuracy',
    yRange: [0, 1],
    series: [{ title: 'validation', values: epochs.map((e) => e.validation!.accuracy) }],
  });
}
