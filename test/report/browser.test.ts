// The report, the job summary and the PR comment as a person sees them: rendered with marked and
// Mermaid 11 in Debian's headless Chromium, in GitHub's light and dark colours (helpers/report-browser.ts).
// Every chart renders, every line is readable on both backgrounds (>= 3:1), no local path shows,
// and the numbers shown are metrics.json's. The action's own documents (its e2e run) and the demo's
// report get the same checks in test/action/e2e.test.ts and test/cli/demo.test.ts.
import { renderStickyBody } from '../../src/github/pr/sticky-comment.js';
import { renderComparison } from '../../src/github/pr/summary-compare.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { renderReport } from '../../src/report/markdown.js';
import { launchChromium, renderInBrowser, type RenderedDoc } from '../helpers/report-browser.js';
import { chartProblems, numberProblems, pathProblems, worstContrast } from '../helpers/report-checks.js';
import { absolutePathsIn } from '../helpers/report-browser.js';
import { runnerMetrics } from './fixture.js';

const OUT = '/home/runner/work/_temp/textclf-run';
const finished = runnerMetrics(OUT);
const cancelled = runnerMetrics(OUT, {
  test: undefined,
  run: { ...finished.run, cancelled: true, finishedAt: undefined },
  resumedFrom: { checkpoint: '/home/runner/work/_temp/textclf-resume-7-1/checkpoints/interrupted', epoch: 1, step: 19 },
  checkpoints: [{ epoch: 'final', path: `${OUT}/checkpoints/interrupted` }],
});
// A run whose training loss fell far below its validation loss: one chart each.
const apart = runnerMetrics(OUT, {
  epochs: finished.epochs.map((e, i) => ({ ...e, trainLoss: [0.004, 0.0009, 0.0002][i]! })),
});
const artifact = {
  name: 'textclf-42-1',
  url: 'https://github.com/o/r/actions/runs/42/artifacts/7',
  files: ['metrics.json', 'report.md', 'checkpoints/final/'],
};
const comparison = renderComparison({
  metrics: finished,
  comparedWith: {
    label: 'main @ abc1234',
    url: 'https://github.com/o/r/actions/runs/41',
    metrics: { accuracy: 0.9, f1: 0.88, loss: 0.4, source: 'test' },
  },
  scheduled: false,
});
const sticky = (m: MetricsFile) =>
  renderStickyBody({
    title: 'textclf · train / train',
    sha: 'c'.repeat(40),
    runUrl: 'https://github.com/o/r/actions/runs/42',
    metrics: m,
    artifacts: [artifact],
    reportMarkdown: renderReport(m, { artifacts: [artifact], cwd: '/home/runner/work/repo/repo' }),
  });

const docs: { name: string; markdown: string; metrics: MetricsFile }[] = [
  { name: 'report', markdown: renderReport(finished, { cwd: '/home/runner/work/repo/repo' }), metrics: finished },
  {
    name: 'job-summary',
    markdown: renderReport(finished, {
      artifacts: [artifact],
      runUrl: 'https://github.com/o/r/actions/runs/42',
      sections: [comparison],
    }),
    metrics: finished,
  },
  {
    name: 'job-summary-upload-failed',
    markdown: renderReport(finished, {
      notices: [
        `The artifact upload failed: 403 Forbidden. Training finished and every result is on the runner in ${OUT}.`,
      ],
    }),
    metrics: finished,
  },
  { name: 'job-summary-cancelled', markdown: renderReport(cancelled), metrics: cancelled },
  { name: 'pr-comment', markdown: sticky(finished), metrics: finished },
  { name: 'pr-comment-cancelled', markdown: sticky(cancelled), metrics: cancelled },
  { name: 'report-scales-apart', markdown: renderReport(apart), metrics: apart },
];
// What the checks must catch: Mermaid's own palette (its first line #ECECFF on white), a syntax error.
const controls = [
  {
    name: 'control-default-palette',
    markdown:
      '```mermaid\nxychart-beta\n  x-axis "epoch" [1, 2]\n  y-axis "loss"\n  line "train" [0.9, 0.5]\n  line "validation" [0.8, 0.6]\n```\n',
  },
  {
    name: 'control-syntax-error',
    markdown: '```mermaid\nxychart-beta\n  x-axis "epoch" [1, 2]\n  line "train" [5.38e-7, 0.1]\n```\n',
  },
];

let rendered: RenderedDoc[];
beforeAll(async () => {
  rendered = await renderInBrowser([...docs, ...controls], {
    screenshots: ['report', 'job-summary-cancelled'],
  });
  const shots = rendered.flatMap((d) => d.screenshot ?? []);
  process.stdout.write(`report screenshots:\n  ${shots.join('\n  ')}\n`);
}, 120_000);

const of = (name: string) => rendered.filter((d) => d.name === name);

test('the markdown itself names no local path (report.md, the job summary, the PR comment)', () => {
  for (const d of docs) expect([d.name, absolutePathsIn(d.markdown, [OUT])]).toEqual([d.name, []]);
});

test('in both themes every chart renders, names its lines and draws them readable (>= 3:1 on #ffffff and #0d1117)', () => {
  const mine = rendered.filter((d) => docs.some((x) => x.name === d.name));
  expect(mine).toHaveLength(docs.length * 2);
  expect(mine.flatMap(chartProblems)).toEqual([]);
  // report: loss + accuracy; the PR comment embeds the report; the split run has three charts
  expect(of('report').map((d) => d.charts.length)).toEqual([2, 2]);
  expect(of('report-scales-apart')[0]!.charts.map((c) => c.title)).toEqual([
    'Training loss per epoch',
    'Validation loss per epoch',
    'Validation accuracy per epoch',
  ]);
  expect(of('report-scales-apart')[0]!.text).toContain('differ by a factor of');
  const worst = worstContrast(mine);
  expect(worst.lines).toBeGreaterThanOrEqual(30);
  expect(worst.onLight).toBeGreaterThanOrEqual(3);
  expect(worst.onDark).toBeGreaterThanOrEqual(3);
  process.stdout.write(
    `worst line contrast over ${worst.lines} lines: ${worst.onLight.toFixed(2)}:1 on #ffffff, ${worst.onDark.toFixed(2)}:1 on #0d1117\n`,
  );
});

test('the checks catch what was wrong: Mermaid’s default palette and a chart that does not parse', () => {
  const [light] = of('control-default-palette');
  expect(chartProblems(light!).join('\n')).toMatch(/contrast 1\.17 on #ffffff/);
  const [broken] = of('control-syntax-error');
  expect(broken!.charts[0]!.error).toMatch(/Parse error|Syntax error|Expecting/i);
  expect(chartProblems(broken!).join('\n')).toMatch(/chart did not render/);
});

test('no local path in the rendered text; the model by its directory name, checkpoints under the output dir', () => {
  expect(rendered.filter((d) => docs.some((x) => x.name === d.name)).flatMap((d) => pathProblems(d, [OUT]))).toEqual(
    [],
  );
  const [report] = of('report');
  expect(report!.text).toContain('Text classification: tiny-bert');
  expect(report!.text).toContain('checkpoint checkpoints/epoch-2');
  expect(of('job-summary-cancelled')[0]!.text).toContain('Resumed from …/checkpoints/interrupted (epoch 1, step 19)');
  expect(of('job-summary-upload-failed')[0]!.text).toContain('every result is on the runner in …/_temp/textclf-run.');
  expect(of('pr-comment')[0]!.text).toMatch(/model tiny-bert · cpu/);
});

test('the numbers shown are metrics.json’s: test metrics, epochs, the plotted points, the time per phase', () => {
  const problems = rendered.flatMap((d) => {
    const m = docs.find((x) => x.name === d.name)?.metrics;
    return m ? numberProblems(d, m) : [];
  });
  expect(problems).toEqual([]);
  // the PR comment's own delta table: this run's test accuracy
  const delta = of('pr-comment')[0]!.tables.find((t) => t[0]?.[1] === 'this run');
  expect(delta?.find((r) => r[0] === 'accuracy')?.[1]).toBe(`${(finished.test!.accuracy * 100).toFixed(2)}%`);
});

test('a missing Chromium fails with the fix, never a silent skip', async () => {
  await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(
    /Chromium is missing at \/nonexistent\/chromium: .*apt-get install chromium/,
  );
});
