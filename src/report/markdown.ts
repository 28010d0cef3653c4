// The run report as GitHub-flavoured markdown: the same text becomes report.md (CLI) and the job
// summary (action). Only numbers and fixed words are emitted raw; every user string goes
// through md()/mdLink().
import type { EvalMetrics, MetricsFile, PhaseSeconds, RunCopies, TransferInfo } from '../metrics/types.js';
import { epochCharts } from './charts.js';
import { md, mdLink } from './escape.js';
import { displayModel, displayPath, hideLocalPaths, type PathContext } from './paths.js';
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import { isSecretFlag } from '../util/redact.js';

export interface ArtifactLink {
  name: string;
  url?: string;
  /** Files inside the artifact, listed under the link. */
  files?: string[];
}

export interface ReportOptions {
  artifacts?: ArtifactLink[];
  /** Where the run happened, e.g. a link to the workflow run. */
  runUrl?: string;
  /** Problems after training to show right under the header (e.g. a failed artifact upload); plain text, escaped here. */
  notices?: string[];
  /** Sections the host renders itself (markdown, already escaped), e.g. the comparison with a baseline. */
  sections?: string[];
  /** The directory relative paths were given from (default: the process's). Paths show relative to it or to the output dir. */
  cwd?: string;
}

const n4 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(4));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : (x * 100).toFixed(2) + '%');

export function renderReport(m: MetricsFile, opts: ReportOptions = {}): string {
  const at: PathContext = { outputDir: m.run.outputDir, cwd: opts.cwd ?? process.cwd() };
  const parts = [
    header(m, opts, at),
    noticesSection(opts.notices, at),
    testSection(m),
    bestSection(m, at),
    stopSection(m, at),
    taskSection(m),
    epochTable(m),
    curves(m),
    confusion(m),
    datasetSection(m),
    timing(m),
    artifactsSection(opts.artifacts),
    flagsSection(m, at),
    ...(opts.sections ?? []).map((s) => s.trim()),
  ];
  return parts.filter((p) => p.length > 0).join('\n\n') + '\n';
}

/** The job summary of `textclf evaluate` (action mode evaluate): the model, the file and its metrics. */
export function renderEvaluation(
  e: { model: string; input: string; labels: string[]; metrics: EvalMetrics },
  cwd = process.cwd(),
): string {
  const confusion =
    e.metrics.confusion.length > 0 && e.metrics.confusion.length <= MAX_MATRIX_LABELS
      ? `\n\nRows: true label; columns: predicted.\n\n${table(
          ['true \\ predicted', ...e.labels.map(md)],
          e.metrics.confusion.map((row, i) => [`**${md(e.labels[i])}**`, ...row.map(String)]),
        )}`
      : '';
  // the model here is usually a checkpoint: `…/checkpoints/final` says more than its directory's name
  return `## Evaluation: ${md(displayPath(e.model, { cwd }))}\n\nInput ${md(displayPath(e.input, { cwd }))}\n\n${metricsTable([['input', e.metrics]])}\n\n${perClass(e.metrics)}${confusion}\n`;
}

function header(m: MetricsFile, opts: ReportOptions, at: PathContext): string {
  const r = m.run;
  const status = r.cancelled ? 'cancelled (checkpoint saved)' : r.finishedAt ? 'finished' : 'running';
  const model = md(displayModel(r.model));
  const rows: [string, string][] = [
    ['Model', model],
    ['Datastore', r.datastore ? md(hideLocalPaths(r.datastore, at)) : '–'],
    ['Commit', r.commit ? md(r.commit) : '–'],
    ['Labels', m.labels.map(md).join(', ')],
    ['Device', md(r.device)],
  ];
  if (r.deviceReason) rows.push(['Why this device', md(hideLocalPaths(r.deviceReason, at))]);
  const mp = r.mixedPrecision;
  if (mp)
    rows.push([
      'Precision',
      `${md(mp.precision)}: ${mp.skippedSteps} step${mp.skippedSteps === 1 ? '' : 's'} skipped by loss scaling (non-finite gradients), final loss scale ${mp.lossScale}`,
    ]);
  for (const g of r.gpu ?? []) {
    const mem = g.memoryMiB !== undefined ? `, ${g.memoryMiB} MiB` : '';
    const drv = g.driver ? `, driver ${md(g.driver)}` : '';
    rows.push(['GPU', `${md(g.name)}${mem}${drv}`]);
  }
  rows.push(['Parameters', r.numParameters.toLocaleString('en-US')], ['Status', status], ['Started', md(r.startedAt)]);
  if (opts.runUrl) rows.push(['Run', mdLink('workflow run', opts.runUrl)]);
  return `## Text classification: ${model}\n\n${table(['', ''], rows)}`;
}

function noticesSection(notices: string[] | undefined, at: PathContext): string {
  if (!notices?.length) return '';
  return notices.map((n) => `> [!WARNING]\n> ${md(hideLocalPaths(n, at)).replace(/\n/g, '\n> ')}`).join('\n\n');
}

function testSection(m: MetricsFile): string {
  const t = m.test;
  if (!t) return '### Test metrics\n\nNo test split was evaluated.';
  const which =
    m.finalEpoch !== undefined && m.epochs.length > 1
      ? `\n\nThe model of epoch ${m.finalEpoch}${m.finalEpoch === m.bestEpoch && m.testOn === 'best' ? ` (the best by ${md(m.monitor?.name ?? 'validation')})` : ' (the last)'}: \`checkpoints/final\`.`
      : '';
  return `### Test metrics${which}\n\n${metricsTable([['test', t]])}\n\n${perClass(t)}`;
}

function metricsTable(rows: [string, EvalMetrics][]): string {
  if (rows.some(([, e]) => e.multiLabel)) return multiLabelTable(rows);
  return table(
    ['split', 'accuracy', 'precision', 'recall', 'F1', 'loss', 'samples'],
    rows.map(([name, e]) => [
      name,
      pct(e.accuracy),
      n4(e.precision),
      n4(e.recall),
      n4(e.f1),
      n4(e.loss),
      String(e.samples),
    ]),
  );
}

/** Multi-label: subset accuracy, micro and macro F1, Hamming loss. */
function multiLabelTable(rows: [string, EvalMetrics][]): string {
  return table(
    [
      'split',
      'subset accuracy',
      'F1 micro',
      'F1 macro',
      'precision micro',
      'recall micro',
      'Hamming loss',
      'loss',
      'samples',
    ],
    rows.map(([name, e]) => [
      name,
      pct(e.accuracy),
      n4(e.multiLabel?.microF1),
      n4(e.f1),
      n4(e.multiLabel?.microPrecision),
      n4(e.multiLabel?.microRecall),
      n4(e.multiLabel?.hammingLoss),
      n4(e.loss),
      String(e.samples),
    ]),
  );
}

function perClass(e: EvalMetrics): string {
  if (e.perClass.length === 0) return '';
  return `<details><summary>Per-${e.multiLabel ? 'label' : 'class'} scores${e.multiLabel ? ` (threshold ${md(e.multiLabel.threshold)})` : ''}</summary>\n\n${table(
    ['label', 'precision', 'recall', 'F1', 'support'],
    e.perClass.map((c) => [md(c.label), n4(c.precision), n4(c.recall), n4(c.f1), String(c.support)]),
  )}\n\n</details>`;
}

function bestSection(m: MetricsFile, at: PathContext): string {
  const best = m.epochs.find((e) => e.epoch === m.bestEpoch);
  if (!best?.validation) return '';
  const v = best.validation;
  const by = m.monitor ? ` by ${md(m.monitor.name)} (${m.monitor.mode === 'min' ? 'lowest' : 'highest'})` : '';
  const final =
    m.finalEpoch === undefined
      ? ''
      : m.finalEpoch === best.epoch
        ? '\n\n`checkpoints/final`, the test metrics and the predictions use this epoch.'
        : `\n\n\`checkpoints/final\`, the test metrics and the predictions use the last epoch, ${m.finalEpoch} (test_on: ${md(m.testOn ?? 'last')}).`;
  return (
    `### Best validation epoch: ${best.epoch}${by}\n\n${v.multiLabel ? 'subset accuracy' : 'accuracy'} ${pct(v.accuracy)}, F1 ${n4(v.f1)}, loss ${n4(v.loss)} (step ${best.step})` +
    (best.checkpoint ? `, checkpoint ${md(displayPath(best.checkpoint, at))}` : '') +
    final
  );
}

/** Early stopping, max_steps, and where a resumed run came from. */
function stopSection(m: MetricsFile, at: PathContext): string {
  const lines: string[] = [];
  if (m.stopped) {
    const max = m.run.flags.max_epochs;
    const what = m.stopped.reason === 'early_stopping' ? 'Stopped early' : 'Stopped at max_steps';
    lines.push(
      `**${what}** after epoch ${m.stopped.epoch}${max !== undefined ? ` of ${md(max)}` : ''}: ${md(hideLocalPaths(m.stopped.message, at))}.`,
    );
  }
  if (m.resumedFrom)
    lines.push(
      `Resumed from ${md(displayPath(m.resumedFrom.checkpoint, at))} (epoch ${m.resumedFrom.epoch}, step ${m.resumedFrom.step}); the epochs before it are that run's.`,
    );
  return lines.length ? `### Training\n\n${lines.join('\n\n')}` : '';
}

/** The task when it is not plain single-label cross-entropy. */
function taskSection(m: MetricsFile): string {
  const t = m.task;
  if (!t) return '';
  const items: string[] = [];
  if (t.problemType === 'multi_label_classification')
    items.push(`multi-label: a sigmoid per label, BCE-with-logits loss, threshold ${md(t.threshold ?? 0.5)}`);
  if (t.classWeights)
    items.push(
      `class weights (${t.classWeightsFrom ?? 'given'}${t.problemType === 'multi_label_classification' ? ', BCE pos_weight' : ''}): ${t.classWeights.map((w, i) => `${md(m.labels[i] ?? String(i))} ${n4(w)}`).join(', ')}`,
    );
  if (t.labelSmoothing) items.push(`label smoothing ${md(t.labelSmoothing)}`);
  return items.length ? `### Task\n\n${items.map((i) => `- ${i}`).join('\n')}` : '';
}

function epochTable(m: MetricsFile): string {
  if (m.epochs.length === 0) return '### Epochs\n\nNo epoch finished.';
  const rows = m.epochs.map((e) => [
    (e.epoch === m.bestEpoch ? `**${e.epoch}**` : String(e.epoch)) +
      (e.epoch === m.resumedFrom?.epoch ? ' (resumed)' : ''),
    String(e.step),
    n4(e.trainLoss),
    n4(e.validation?.loss),
    pct(e.validation?.accuracy),
    n4(e.validation?.f1),
    e.seconds.toFixed(1),
  ]);
  const acc = m.task?.problemType === 'multi_label_classification' ? 'val subset accuracy' : 'val accuracy';
  return `### Epochs\n\n${table(['epoch', 'step', 'train loss', 'val loss', acc, 'val F1', 'seconds'], rows)}`;
}

/** Mermaid charts (charts.ts): losses, and validation accuracy when every epoch has it. */
function curves(m: MetricsFile): string {
  const charts = epochCharts(m.epochs);
  return charts.length ? `### Curves\n\n${charts.join('\n\n')}` : '';
}

function confusion(m: MetricsFile): string {
  const e = m.test ?? m.epochs.find((x) => x.epoch === m.bestEpoch)?.validation;
  if (!e || e.confusion.length === 0) return '';
  const split = m.test ? 'test' : `validation, epoch ${m.bestEpoch}`;
  const label = (i: number) => md(m.labels[i] ?? String(i));
  if (e.confusion.length > MAX_MATRIX_LABELS) {
    // k^2 cells stop being readable (and a 1,000-label matrix would pass the 1 MiB summary limit):
    // list the most frequent confusions; metrics.json keeps the whole matrix.
    const pairs = e.confusion
      .flatMap((row, t) => row.map((n, p) => ({ t, p, n })))
      .filter((x) => x.t !== x.p && x.n > 0)
      .sort((a, b) => b.n - a.n)
      .slice(0, TOP_CONFUSIONS);
    const rows = pairs.map((x) => [label(x.t), label(x.p), String(x.n)]);
    return `### Most frequent confusions (${split})\n\n${e.confusion.length} labels: the full matrix is in metrics.json.\n\n${rows.length ? table(['true label', 'predicted', 'count'], rows) : 'No confusions.'}`;
  }
  const rows = e.confusion.map((row, i) => [`**${label(i)}**`, ...row.map(String)]);
  return `### Confusion matrix (${split})\n\nRows: true label; columns: predicted.\n\n${table(['true \\ predicted', ...m.labels.map(md)], rows)}`;
}

/** Above this many labels the matrix becomes a list of the most frequent confusions. */
export const MAX_MATRIX_LABELS = 30;
const TOP_CONFUSIONS = 25;

function datasetSection(m: MetricsFile): string {
  const d = m.dataset;
  if (!d) return '';
  const rows = Object.keys(d.rows).map((split) => {
    const labels = Object.entries(d.labels[split] ?? {})
      .map(([l, c]) => `${md(l)}: ${c}`)
      .join(', ');
    const len = d.textLength[split];
    return [
      md(split),
      String(d.rows[split]),
      labels || '–',
      len ? `${len.p50} / ${len.p90} / ${len.p99} / ${len.max}` : '–',
    ];
  });
  // Where each split came from (a hub dataset's split mapping) belongs here, under the table, once metrics.json records it.
  return `### Dataset\n\n${table(['split', 'rows', 'labels', 'text length p50 / p90 / p99 / max (chars)'], rows)}`;
}

/** The phases of PhaseSeconds in run order, as the Time table names them. */
export const PHASES: [keyof PhaseSeconds, string][] = [
  ['provisioning', 'provisioning (onnxruntime-node, before the run)'],
  ['download', 'download (datastore, model)'],
  ['tokenizing', 'tokenizing'],
  ['setup', 'setup (device, weights, training graph)'],
  ['training', 'training (optimizer steps)'],
  ['evaluation', 'evaluation (validation, test)'],
  ['checkpoints', 'checkpoints'],
];

/** A duration in a Time table cell: tenths of a second below a minute, else 3m 5s. */
export function phaseTime(seconds: number): string {
  return seconds < 59.95 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

/** Where the wall time went, the throughput and the device; the engine's copies collapsed below. */
function timing(m: MetricsFile): string {
  const r = m.run;
  const ph = r.phases;
  const total = r.wallSeconds !== undefined ? r.wallSeconds + (ph?.provisioning ?? 0) : undefined;
  const device = md(r.device) + (r.gpu?.length ? ` (${r.gpu.map((g) => md(g.name)).join(', ')})` : '');
  const facts = [
    total !== undefined ? `${phaseTime(total)} in all` : undefined,
    `${r.totalSteps.toLocaleString('en-US')} optimizer steps`,
    r.samplesPerSecond !== undefined
      ? `${r.samplesPerSecond.toLocaleString('en-US', { maximumFractionDigits: 1 })} training samples/s`
      : undefined,
    `on ${device}`,
  ].filter((x) => x !== undefined);
  const parts = [`### Time`, `${facts.join(', ')}.`];
  if (ph && total !== undefined && total > 0) {
    const share = (s: number) => {
      const p = (s / total) * 100;
      return p < 1 ? '<1%' : `${p.toFixed(0)}%`;
    };
    const known = PHASES.filter(([k]) => ph[k] !== undefined);
    const rows = known.map(([k, name]) => [name, phaseTime(ph[k]!), share(ph[k]!)]);
    const rest = total - known.reduce((a, [k]) => a + ph[k]!, 0);
    if (rest >= 0.05) rows.push(['writing results, other', phaseTime(rest), share(rest)]);
    rows.push(['**total**', `**${phaseTime(total)}**`, '100%']);
    parts.push(table(['phase', 'time', 'share'], rows));
  }
  if (r.transfers) parts.push(copiesTable(r.transfers));
  return parts.join('\n\n');
}

/** Copies versus compute: bytes through host memory and seconds outside/inside session.run, per kind of run. */
function copiesTable(t: TransferInfo): string {
  const where =
    t.state === 'device'
      ? `stays on the device between calls: only batches and scalars are uploaded`
      : `crosses host memory in every training call`;
  const ms = (s: number) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  const row = (name: string, c: RunCopies) => [
    name,
    String(c.runs),
    formatBytes(c.perRun.uploadBytes),
    formatBytes(c.perRun.downloadBytes),
    `${ms(c.perRun.hostSeconds)} (${c.hostSeconds.toFixed(2)} s)`,
    `${ms(c.perRun.runSeconds)} (${c.runSeconds.toFixed(2)} s)`,
  ];
  const kinds: [string, RunCopies | undefined][] = [
    ['train', t.train],
    ['eval', t.eval],
    ['state readback', t.readback],
    ['state upload', t.upload],
  ];
  const rows = kinds.filter((k): k is [string, RunCopies] => !!k[1] && k[1].runs > 0).map(([n, c]) => row(n, c));
  const meaning = `Each row is one kind of call into ONNX Runtime: the bytes it copies between host memory and the model (the training state, ${formatBytes(t.stateBytes)}, ${where}) and its time outside the call (preparing inputs, reading results) and inside it (compute plus those copies); a large outside share means the host, not the device, limits the speed.`;
  return `<details><summary>Engine: copies between host memory and the device</summary>\n\n${meaning}\n\n${table(['calls', 'count', 'host → model', 'model → host', 'outside the call', 'inside the call'], rows)}\n\n</details>`;
}

function artifactsSection(artifacts: ArtifactLink[] | undefined): string {
  if (!artifacts?.length) return '';
  const lines = artifacts.map((a) => {
    const files = a.files?.length ? `: ${a.files.map(md).join(', ')}` : '';
    return `- ${mdLink(a.name, a.url)}${files}`;
  });
  return `### Artifacts\n\n${lines.join('\n')}`;
}

function flagsSection(m: MetricsFile, at: PathContext): string {
  const rows = Object.entries(m.run.flags)
    .filter(([k, v]) => v !== undefined && !isSecretFlag(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [md(k), md(typeof v === 'string' ? hideLocalPaths(v, at) : v)]);
  if (rows.length === 0) return '';
  return `<details><summary>Flags</summary>\n\n${table(['flag', 'value'], rows)}\n\n</details>`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
