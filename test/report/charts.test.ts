// Every Mermaid block we emit (run report = job summary, sticky PR comment) must parse with
// Mermaid's own parser, for ordinary runs and the awkward ones: losses far below 1e-6, huge
// losses, a NaN loss, one epoch, no validation. Lines are labelled.
import { renderStickyBody } from '../../src/github/pr/sticky-comment.js';
import type { EpochRecord, MetricsFile } from '../../src/metrics/types.js';
import { accuracyChart, lossChart, plainNumber } from '../../src/report/charts.js';
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

test('lines are titled train/validation and captioned; a series that is not finite is left out and said so', () => {
  const loss = lossChart(base.epochs)!;
  expect(loss).toContain('  line "train" [0.9123, 0.5012, 0.3111]\n  line "validation" [0.6543, 0.4012, 0.4511]\n```');
  expect(loss).toMatch(/```\n\nLines, in order: train, validation\.$/);
  expect(accuracyChart(base.epochs)).toMatch(/line "validation" \[0\.78, 0\.89, 0\.85\]\n```\n\nLine: validation\.$/);
  const tiny = lossChart(cases['tiny losses']!.epochs)!;
  expect(tiny).toContain('line "train" [0.000000538, 0.0000000021, 0.000000000007]');
  const nan = lossChart(cases['a NaN loss']!.epochs)!;
  expect(nan).not.toContain('line "train"');
  expect(nan).toContain('line "validation"');
  expect(nan).toMatch(/train is not a finite number at some epoch \(NaN or infinite\): not charted\./);
  expect(accuracyChart(cases['no validation']!.epochs)).toBeUndefined();
});
