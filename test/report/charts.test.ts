// Every Mermaid block we emit (run report = job summary, sticky PR comment) must parse with
// Mermaid's own parser, for ordinary runs and the awkward ones: losses far below 1e-6, huge
// losses, a NaN loss, one epoch, no validation. Lines are labelled and coloured the same in every
// chart; series of very different scales get a chart each. (test/report/browser.test.ts renders them.)
import { renderStickyBody } from '../../src/github/pr/sticky-comment.js';
import type { EpochRecord, MetricsFile } from '../../src/metrics/types.js';
import {
  accuracyChart,
  epochCharts,
  lossCharts,
  plainNumber,
  SCALE_RATIO,
  SERIES_COLOURS,
} from '../../src/report/charts.js';
import { contrast, GITHUB_DARK_BG, GITHUB_LIGHT_BG } from '../helpers/contrast.js';
import { renderReport } from '../../src/report/markdown.js';
import { mermaidBlocks, parseMermaid } from '../helpers/mermaid.js';
import { sampleMetrics } from './fixture.js';

test('plainNumber writes 6 significant digits without an exponent', () => {
  expect(plainNumber(5.38e-7)).toBe('0.000000538');
  expect(plainNumber(1.234567891e-12)).toBe('0.00000000000123457');
  expect(plainNumber(-2.5e-9)).toBe('-0.0000000025');
  expect(plainNumber(0.6931471805599453)).toBe('0.693147');
  expect(plainNumber(3)).toBe('3');
  expect(plainNumber(0)).toBe('0');
  expect(plainNumber(1.5e22)).toBe('15000000000000000000000');
  expect(plainNumber(123456789)).toBe('123457000');
  expect(Number(plainNumber(7.77777e-8))).toBeCloseTo(7.77777e-8, 20);
  expect(() => plainNumber(NaN)).toThrow(RangeError);
});

function withEpochs(base: MetricsFile, edit: (e: EpochRecord, i: number) => Partial<EpochRecord>): MetricsFile {
  return { ...base, epochs: base.epochs.map((e, i) => ({ ...e, ...edit(e, i) })) };
}

const base = sampleMetrics();
const cases: Record<string, MetricsFile> = {
  ordinary: base,
  'tiny losses': withEpochs(base, (e, i) => ({
    trainLoss: [5.38e-7, 2.1e-9, 7e-12][i]!,
    validation: { ...e.validation!, loss: [1e-7, 3.3e-8, 1.23456789e-10][i]! },
  })),
  'huge losses': withEpochs(base, (_e, i) => ({ trainLoss: [1e25, 3e21, 12345678.9][i]! })),
  'a NaN loss': withEpochs(base, (_e, i) => ({ trainLoss: i === 1 ? NaN : 0.5 })),
  'one epoch': { ...base, epochs: base.epochs.slice(0, 1), bestEpoch: 1 },
  'no validation': withEpochs(base, () => ({ validation: undefined })),
};

test('every Mermaid block in the report and the sticky comment parses with Mermaid’s parser', () => {
  const blocks: { where: string; text: string }[] = [];
  for (const [name, m] of Object.entries(cases)) {
    for (const text of mermaidBlocks(renderReport(m))) blocks.push({ where: `report, ${name}`, text });
    const sticky = renderStickyBody({
      title: 'train',
      sha: 'a'.repeat(40),
      runUrl: 'https://github.com/o/r/actions/runs/1',
      metrics: m,
    });
    for (const text of mermaidBlocks(sticky)) blocks.push({ where: `sticky comment, ${name}`, text });
  }
  expect(blocks.length).toBeGreaterThanOrEqual(14);
  const results = parseMermaid(blocks.map((b) => b.text));
  const failed = results.flatMap((r, i) => (r.ok ? [] : [`${blocks[i]!.where}: ${r.error}\n${blocks[i]!.text}`]));
  expect(failed).toEqual([]);
  expect(results.every((r) => r.type === 'xychart')).toBe(true);
});

test('the parser used above rejects what broke the charts (exponent notation), so passing means something', () => {
  const bad = 'xychart-beta\n  x-axis "epoch" [1, 2]\n  y-axis "loss"\n  line "train" [5.38e-7, 0.1]\n';
  const good = bad.replace('5.38e-7', plainNumber(5.38e-7));
  const [r1, r2] = parseMermaid([bad, good]);
  expect(r1).toMatchObject({ ok: false });
  expect(r1!.error).toMatch(/Parse error/);
  expect(r2).toMatchObject({ ok: true, type: 'xychart' });
});

/** The init directive's config of a chart block. */
function initConfig(block: string): { themeVariables: { xyChart: Record<string, string> }; xyChart: object } {
  const m = /^```mermaid\n%%\{init: (.*)\}%%\n/.exec(block);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

test('lines are titled train/validation and captioned with their colours; a series that is not finite is left out and said so', () => {
  const [loss] = lossCharts(base.epochs);
  expect(loss).toContain('  line "train" [0.9123, 0.5012, 0.3111]\n  line "validation" [0.6543, 0.4012, 0.4511]\n```');
  expect(loss).toMatch(/```\n\nLines: train \(blue\), validation \(orange\)\.$/);
  expect(accuracyChart(base.epochs)).toMatch(
    /line "validation" \[0\.78, 0\.89, 0\.85\]\n```\n\nLine: validation \(orange\)\.$/,
  );
  const [tiny] = lossCharts(cases['tiny losses']!.epochs);
  expect(tiny).toContain('line "train" [0.000000538, 0.0000000021, 0.000000000007]');
  const [nan] = lossCharts(cases['a NaN loss']!.epochs);
  expect(nan).not.toContain('line "train"');
  expect(nan).toContain('line "validation"');
  expect(nan).toMatch(/train is not a finite number at some epoch \(NaN or infinite\): not charted\./);
  expect(accuracyChart(cases['no validation']!.epochs)).toBeUndefined();
  // one epoch is one point: no curve to draw (the epoch table has the numbers)
  expect(epochCharts(cases['one epoch']!.epochs)).toEqual([]);
  expect(renderReport(cases['one epoch']!)).not.toContain('### Curves');
});

test('every chart sets its palette, legend and a transparent background; train and validation keep their colours', () => {
  const seen: Record<string, Set<string>> = { train: new Set(), validation: new Set() };
  for (const m of Object.values(cases))
    for (const block of epochCharts(m.epochs)) {
      const cfg = initConfig(block);
      expect(cfg.xyChart).toEqual({ showLegend: true });
      expect(cfg.themeVariables.xyChart.backgroundColor).toBe('transparent');
      const palette = cfg.themeVariables.xyChart.plotColorPalette!.split(', ');
      const lines = [...block.matchAll(/^ {2}line "(\w+)"/gm)].map((x) => x[1]!);
      expect(palette).toHaveLength(lines.length);
      lines.forEach((name, i) => seen[name]!.add(palette[i]!));
    }
  // the NaN case draws validation alone, first in its palette: still orange
  expect(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v]]))).toEqual({
    train: [SERIES_COLOURS.train.hex],
    validation: [SERIES_COLOURS.validation.hex],
  });
});

test('the series colours read on GitHub’s light and dark backgrounds (>= 3:1) and differ from each other', () => {
  for (const { hex } of Object.values(SERIES_COLOURS)) {
    expect(contrast(hex, GITHUB_LIGHT_BG)).toBeGreaterThanOrEqual(3);
    expect(contrast(hex, GITHUB_DARK_BG)).toBeGreaterThanOrEqual(3);
  }
  expect(SERIES_COLOURS.train.hex).not.toBe(SERIES_COLOURS.validation.hex);
  // Mermaid's default first colour, which the palette replaces, does not
  expect(contrast('#ECECFF', GITHUB_LIGHT_BG)).toBeLessThan(1.2);
});

test(`losses more than ${SCALE_RATIO}x apart get a chart each, said under them; closer ones share one`, () => {
  const apart = withEpochs(base, (_e, i) => ({ trainLoss: [0.004, 0.0009, 0.0002][i]! }));
  const charts = lossCharts(apart.epochs);
  expect(charts).toHaveLength(2);
  expect(charts[0]).toContain('title "Training loss per epoch"');
  expect(charts[0]).not.toContain('line "validation"');
  expect(charts[1]).toContain('title "Validation loss per epoch"');
  expect(charts[1]).toMatch(
    /Line: validation \(orange\)\. The train and validation losses differ by a factor of 164: one chart each/,
  );
  // 0.6543 / 0.0654 is 10.0: still one chart
  const close = withEpochs(base, (e) => ({ trainLoss: e.validation!.loss / 10 }));
  expect(lossCharts(close.epochs)).toHaveLength(1);
  expect(epochCharts(apart.epochs)).toHaveLength(3);
});
