// Mermaid xychart-beta charts of a run's epochs (GitHub renders them in job summaries and comments).
// Only numbers and fixed words go in: no user string can reach a chart. Mermaid's parser takes plain
// decimals only (`5.38e-7` is a syntax error that breaks the whole block), so every value is
// written without an exponent.
//
// Mermaid's default palette starts with #ECECFF (1.17:1 on white): every chart sets its own
// through the init directive, one fixed colour per series in every chart, each with a contrast of
// at least 3:1 on GitHub's light (#ffffff) and dark (#0d1117) backgrounds, and a transparent chart
// background so that the page's is the one the lines are drawn on. Lines are titled: Mermaid 11
// draws a legend from the titles, and the caption under each chart names them and their colours
// for renderers without one.
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

/** The series every chart draws, each always in its colour (Okabe–Ito's colour-blind-safe set). */
export const SERIES_COLOURS = {
  // contrast 5.19:1 on #ffffff, 3.65:1 on #0d1117
  train: { hex: '#0072B2', name: 'blue' },
  // contrast 3.87:1 on #ffffff, 4.89:1 on #0d1117
  validation: { hex: '#D55E00', name: 'orange' },
} as const;

export type SeriesName = keyof typeof SERIES_COLOURS;

export interface Series {
  name: SeriesName;
  values: number[];
}

interface ChartSpec {
  title: string;
  xLabel: string;
  x: (string | number)[];
  yLabel: string;
  yRange?: [number, number];
  series: Series[];
  /** A sentence said under the chart (e.g. why a chart was split). */
  note?: string;
}

/** Mermaid's init directive: this chart's line colours in series order, the legend, no background. */
function initDirective(series: Series[]): string {
  const config = {
    themeVariables: {
      xyChart: {
        plotColorPalette: series.map((s) => SERIES_COLOURS[s.name].hex).join(', '),
        backgroundColor: 'transparent',
      },
    },
    xyChart: { showLegend: true },
  };
  return `%%{init: ${JSON.stringify(config)}}%%`;
}

/** A ```mermaid block and its caption; series with a non-finite value are left out and named in the caption. */
export function xyChart(spec: ChartSpec): string | undefined {
  const drawable = spec.series.filter((s) => s.values.every(Number.isFinite));
  const dropped = spec.series.filter((s) => !drawable.includes(s));
  const notes: string[] = [];
  if (drawable.length > 0) {
    const lines = drawable.map((s) => `${s.name} (${SERIES_COLOURS[s.name].name})`).join(', ');
    notes.push(`${drawable.length > 1 ? 'Lines' : 'Line'}: ${lines}.`);
  }
  for (const s of dropped) notes.push(`${s.name} is not a finite number at some epoch (NaN or infinite): not charted.`);
  if (spec.note) notes.push(spec.note);
  if (drawable.length === 0) return notes.length ? notes.join(' ') : undefined;
  const range = spec.yRange ? ` ${plainNumber(spec.yRange[0])} --> ${plainNumber(spec.yRange[1])}` : '';
  const block = [
    '```mermaid',
    initDirective(drawable),
    'xychart-beta',
    `  title "${spec.title}"`,
    `  x-axis "${spec.xLabel}" [${spec.x.join(', ')}]`,
    `  y-axis "${spec.yLabel}"${range}`,
    ...drawable.map((s) => `  line "${s.name}" [${s.values.map((v) => plainNumber(v)).join(', ')}]`),
    '```',
  ].join('\n');
  return `${block}\n\n${notes.join(' ')}`;
}

/** Above this ratio between two series' largest values, the smaller would be a flat line at the bottom. */
export const SCALE_RATIO = 10;

const largest = (values: number[]) => Math.max(...values.filter(Number.isFinite).map(Math.abs));

/** A curve needs two points: one epoch draws no line (its numbers are in the epoch table). */
const MIN_EPOCHS = 2;

/**
 * Train and validation loss per epoch (validation only when every epoch has it): one chart, or one
 * per series when their scales differ by more than SCALE_RATIO (said under the charts).
 */
export function lossCharts(epochs: EpochRecord[]): string[] {
  if (epochs.length < MIN_EPOCHS) return [];
  const train: Series = { name: 'train', values: epochs.map((e) => e.trainLoss) };
  const validation: Series | undefined = epochs.every((e) => e.validation)
    ? { name: 'validation', values: epochs.map((e) => e.validation!.loss) }
    : undefined;
  const chart = (title: string, series: Series[], note?: string) =>
    xyChart({ title, xLabel: 'epoch', x: epochs.map((e) => e.epoch), yLabel: 'loss', series, note });
  if (validation) {
    const [a, b] = [largest(train.values), largest(validation.values)];
    const ratio = Math.max(a / b, b / a);
    if (Number.isFinite(ratio) && ratio > SCALE_RATIO) {
      const note = `The train and validation losses differ by a factor of ${Math.round(ratio).toLocaleString('en-US')}: one chart each, so that neither is a flat line.`;
      return [chart('Training loss per epoch', [train]), chart('Validation loss per epoch', [validation], note)].filter(
        (c): c is string => c !== undefined,
      );
    }
  }
  const both = chart('Loss per epoch', validation ? [train, validation] : [train]);
  return both ? [both] : [];
}

/** Validation accuracy per epoch, on a 0..1 axis; undefined unless every epoch was validated. */
export function accuracyChart(epochs: EpochRecord[]): string | undefined {
  if (epochs.length < MIN_EPOCHS || !epochs.every((e) => e.validation)) return undefined;
  return xyChart({
    title: 'Validation accuracy per epoch',
    xLabel: 'epoch',
    x: epochs.map((e) => e.epoch),
    yLabel: 'accuracy',
    yRange: [0, 1],
    series: [{ name: 'validation', values: epochs.map((e) => e.validation!.accuracy) }],
  });
}

/** Every chart of a run's epochs: losses, then validation accuracy. */
export function epochCharts(epochs: EpochRecord[]): string[] {
  const acc = accuracyChart(epochs);
  return [...lossCharts(epochs), ...(acc ? [acc] : [])];
}
