// Checks on a rendered report, job summary or PR comment (report-browser.ts) against the run's
// metrics.json: every chart rendered and readable in both themes, no local path, and the numbers
// a person reads are metrics.json's. Each returns the problems found (empty when all is well), so a
// failing test prints all of them at once.
import type { MetricsFile } from '../../src/metrics/types.js';
import { absolutePathsIn, findTable, lineContrasts, plotError, type RenderedDoc } from './report-browser.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const n4 = (x: number) => x.toFixed(4);
/** A Time cell as a person reads it: tenths of a second below a minute, else 3m 5s / 1h 2m 3s. */
function secs(x: number): string {
  if (x < 59.95) return `${x.toFixed(1)} s`;
  const t = Math.round(x);
  const [h, mi, s] = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  return h ? `${h}h ${mi}m ${s}s` : `${mi}m ${s}s`;
}

/** The colour each series is drawn in, whatever chart and theme (the report's promise). */
export const SERIES_STROKES: Record<string, string> = {
  train: 'rgb(0, 114, 178)',
  validation: 'rgb(213, 94, 0)',
};

/** Charts: all rendered, legends name the lines, fixed colours, contrast >= 3:1 everywhere. */
export function chartProblems(doc: RenderedDoc): string[] {
  const where = `${doc.name} (${doc.theme})`;
  const out: string[] = [];
  for (const c of doc.charts) {
    if (c.error || !c.svg) out.push(`${where}: chart did not render: ${c.error ?? 'no SVG'}\n${c.source}`);
    if (c.lines.length === 0) out.push(`${where}: chart "${c.title}" has no line`);
    if (c.legend.length !== c.lines.length)
      out.push(`${where}: chart "${c.title}" legend ${JSON.stringify(c.legend)} for ${c.lines.length} lines`);
    c.lines.forEach((l, i) => {
      const series = c.legend[i] ?? '?';
      if (SERIES_STROKES[series] !== l.stroke)
        out.push(`${where}: "${c.title}" draws ${series} in ${l.stroke}, not ${SERIES_STROKES[series]}`);
    });
  }
  for (const l of lineContrasts(doc))
    if (Math.min(l.onLight, l.onDark, l.onChart) < 3)
      out.push(
        `${where}: line ${l.stroke}: contrast ${l.onLight.toFixed(2)} on #ffffff, ${l.onDark.toFixed(2)} on #0d1117, ${l.onChart.toFixed(2)} on its chart`,
      );
  return out;
}

/** The worst line contrast over the docs, on white and on #0d1117 (the Must-show numbers). */
export function worstContrast(docs: RenderedDoc[]): { onLight: number; onDark: number; lines: number } {
  const all = docs.flatMap(lineContrasts);
  return {
    onLight: Math.min(...all.map((l) => l.onLight)),
    onDark: Math.min(...all.map((l) => l.onDark)),
    lines: all.length,
  };
}

export function pathProblems(doc: RenderedDoc, known: string[] = []): string[] {
  return absolutePathsIn(doc.text, known).map((p) => `${doc.name} (${doc.theme}) shows a local path: ${p}`);
}

function chartByTitle(doc: RenderedDoc, title: string) {
  return doc.charts.find((c) => c.title === title);
}

/** The numbers the report part of `doc` shows against metrics.json (test, epochs, charts, time). */
export function numberProblems(doc: RenderedDoc, m: MetricsFile): string[] {
  const where = `${doc.name} (${doc.theme})`;
  const out: string[] = [];
  const expectRow = (what: string, got: string[] | undefined, want: string[]) => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      out.push(`${where}: ${what}: shows ${JSON.stringify(got)}, metrics.json says ${JSON.stringify(want)}`);
  };
  if (m.test) {
    const row = findTable(doc, 'split', 'accuracy')?.find((r) => r[0] === 'test');
    const t = m.test;
    expectRow('test metrics', row, [
      'test',
      pct(t.accuracy),
      n4(t.precision),
      n4(t.recall),
      n4(t.f1),
      n4(t.loss),
      String(t.samples),
    ]);
  }
  const epochs = findTable(doc, 'epoch', 'step', 'train loss');
  if (m.epochs.length && !epochs) out.push(`${where}: no epoch table`);
  for (const e of m.epochs) {
    const row = epochs?.find((r) => r[0]?.replace(/ \(resumed\)$/, '') === String(e.epoch));
    const v = e.validation;
    expectRow(`epoch ${e.epoch}`, row?.slice(1), [
      String(e.step),
      n4(e.trainLoss),
      v ? n4(v.loss) : '–',
      v ? pct(v.accuracy) : '–',
      v ? n4(v.f1) : '–',
      e.seconds.toFixed(1),
    ]);
  }
  // The charts plot metrics.json's values: each point sits where the y axis puts its value.
  const series: Record<string, number[]> = { train: m.epochs.map((e) => e.trainLoss) };
  if (m.epochs.every((e) => e.validation)) series.validation = m.epochs.map((e) => e.validation!.loss);
  const plotted = (title: string, name: string, values: number[]) => {
    const c = chartByTitle(doc, title);
    const i = c?.legend.indexOf(name) ?? -1;
    const err = c && i >= 0 ? plotError(c, c.lines[i]!, values) : Infinity;
    if (!(err <= 1.5)) out.push(`${where}: "${title}" ${name} is ${err.toFixed(2)} px off metrics.json's values`);
  };
  // a curve from the second epoch on
  if (m.epochs.length >= 2) {
    if (chartByTitle(doc, 'Loss per epoch'))
      for (const [name, values] of Object.entries(series)) plotted('Loss per epoch', name, values);
    else if (chartByTitle(doc, 'Training loss per epoch')) {
      plotted('Training loss per epoch', 'train', series.train!);
      plotted('Validation loss per epoch', 'validation', series.validation!);
    } else out.push(`${where}: no loss chart`);
    if (series.validation)
      plotted(
        'Validation accuracy per epoch',
        'validation',
        m.epochs.map((e) => e.validation!.accuracy),
      );
  } else if (doc.charts.length) out.push(`${where}: ${doc.charts.length} charts of a single epoch's points`);
  // Time: the total and each phase, as metrics.json has them.
  const r = m.run;
  if (r.wallSeconds !== undefined && r.phases) {
    const total = r.wallSeconds + (r.phases.provisioning ?? 0);
    const time = findTable(doc, 'phase', 'time', 'share');
    expectRow('time total', time?.find((row) => row[0] === 'total')?.slice(1, 2), [secs(total)]);
    for (const [phase, s] of Object.entries(r.phases)) {
      const row = time?.find((row) => row[0]?.startsWith(phase));
      expectRow(`time of ${phase}`, row?.slice(1, 2), [secs(s)]);
    }
    if (!doc.text.includes(`${secs(total)} in all`))
      out.push(`${where}: the Time sentence lacks "${secs(total)} in all"`);
  }
  return out;
}
