// Hyperparameter sweeps in Grid's syntax: `learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]"`,
// plus `choice(a, b)`, `uniform(lo, hi, n)` and `loguniform(lo, hi, n)` (n random draws, seeded by
// the sweep text so the plan is reproducible). `plan` expands the grid into a strategy.matrix;
// `aggregate` compares the trials' metrics and marks the best.
import { createHash } from 'node:crypto';
import { flagsFor, type FlagSpec } from '../../config/schema.js';
import { parseValue, type FlagValue } from '../../config/parse.js';
import type { MetricsFile } from '../../metrics/types.js';
import { parseKeyValues } from '../chatops/args.js';
import { finalMetrics, formatMetric, type FinalMetrics } from '../pr/compare.js';
import { escapeMarkdown, escapeValue } from '../../util/markdown-safe.js';
import { mulberry32 } from '../../util/random.js';

/** GitHub Actions runs at most 256 jobs per matrix. */
export const MAX_TRIALS = 256;

export class SweepError extends Error {
  override name = 'SweepError';
  constructor(readonly problems: string[]) {
    super(
      `sweep: ${problems.join('; ')}. Valid keys: ${flagsFor('chatops')
        .map((s) => s.name)
        .join(', ')}. Example: learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]"`,
    );
  }
}

export type SweepSpace = { key: string; values: FlagValue[] }[];

export function parseSweep(text: string): SweepSpace {
  const { pairs, problems } = parseKeyValues(text);
  const rand = seededRandom(text);
  const space: SweepSpace = [];
  for (const { key, value } of pairs) {
    const spec = flagsFor('chatops').find((s) => s.name === key);
    if (!spec) {
      problems.push(`unknown key '${key}'`);
      continue;
    }
    try {
      space.push({ key, values: expand(spec, value.trim(), rand) });
    } catch (e) {
      problems.push((e as Error).message.replace(/^--/, ''));
    }
  }
  if (space.length === 0 && problems.length === 0) problems.push('no parameters given');
  const trials = space.reduce((n, d) => n * d.values.length, 1);
  if (trials > MAX_TRIALS) problems.push(`${trials} trials is more than the ${MAX_TRIALS} jobs a matrix may have`);
  if (problems.length > 0) throw new SweepError(problems);
  return space;
}

function expand(spec: FlagSpec, value: string, rand: () => number): FlagValue[] {
  const list = /^\[(.*)\]$/s.exec(value) ?? /^choice\((.*)\)$/s.exec(value);
  if (list) {
    const items = splitItems(list[1]);
    if (items.length === 0) throw new Error(`${spec.name}: empty list`);
    return dedupe(items.map((i) => parseValue(spec, i)));
  }
  const dist = /^(uniform|loguniform)\((.*)\)$/s.exec(value);
  if (dist) {
    const args = splitItems(dist[2]);
    const [lo, hi, n] = args.map(Number);
    if (args.length !== 3 || ![lo, hi, n].every(Number.isFinite) || lo >= hi || !Number.isInteger(n) || n < 1) {
      throw new Error(`${spec.name}: ${dist[1]}(low, high, n) needs numbers low < high and an integer n >= 1`);
    }
    if (spec.type !== 'int' && spec.type !== 'float')
      throw new Error(`${spec.name}: ${dist[1]}() needs a numeric flag`);
    if (dist[1] === 'loguniform' && lo <= 0) throw new Error(`${spec.name}: loguniform needs low > 0`);
    const draws = Array.from({ length: n }, () => {
      const u = rand();
      const v = dist[1] === 'uniform' ? lo + (hi - lo) * u : Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u);
      return spec.type === 'int' ? String(Math.round(v)) : Number(v.toPrecision(4)).toString();
    });
    return dedupe(draws.map((d) => parseValue(spec, d)));
  }
  return [parseValue(spec, value)];
}

function splitItems(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim().replace(/^(["'])(.*)\1$/, '$2'))
    .filter((x) => x.length > 0);
}

function dedupe(v: FlagValue[]): FlagValue[] {
  return [...new Set(v)];
}

/** mulberry32 seeded from the sweep text: the same sweep input always plans the same trials. */
function seededRandom(text: string): () => number {
  return mulberry32(createHash('sha256').update(text).digest().readUInt32LE(0));
}

export interface MatrixEntry {
  trial: string;
  flags: string;
  [key: string]: FlagValue;
}

/** The cartesian product as `{ include: [...] }` for `strategy.matrix: ${{ fromJSON(...) }}`. */
export function planSweep(space: SweepSpace): { include: MatrixEntry[] } {
  let combos: Record<string, FlagValue>[] = [{}];
  for (const { key, values } of space) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  const width = String(combos.length).length;
  return {
    include: combos.map((c, i) => ({
      trial: `trial-${String(i + 1).padStart(width, '0')}`,
      flags: JSON.stringify(c),
      ...c,
    })),
  };
}

export interface TrialResult {
  name: string;
  metrics: MetricsFile;
  final: FinalMetrics;
}

/** Highest accuracy wins, then F1, then lower loss; trials without accuracy rank last. */
export function bestTrial(trials: TrialResult[]): TrialResult | undefined {
  const score = (t: TrialResult) => [
    t.final.accuracy ?? -Infinity,
    t.final.f1 ?? -Infinity,
    -(t.final.loss ?? Infinity),
  ];
  return [...trials].sort((a, b) => {
    const sa = score(a),
      sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i] - sa[i];
    return a.name.localeCompare(b.name);
  })[0];
}

/** One comparison table; the columns are the flags that differ between trials. */
export function renderSweepTable(trials: TrialResult[]): string {
  if (trials.length === 0) return '_No trial produced a metrics artifact._\n';
  const best = bestTrial(trials)!;
  // Hyperparameters only (the /train keys): paths such as output_dir differ per trial too.
  const hyper = new Set(flagsFor('chatops').map((s) => s.name));
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.metrics.run.flags)))]
    .filter((k) => hyper.has(k) && new Set(trials.map((t) => JSON.stringify(t.metrics.run.flags[k]))).size > 1)
    .sort();
  const sorted = [...trials].sort((a, b) => a.name.localeCompare(b.name));
  const lines = [
    `**Sweep: ${trials.length} trials.** Best: ★ **${escapeMarkdown(best.name)}** (accuracy ${formatMetric('accuracy', best.final.accuracy)}, F1 ${formatMetric('f1', best.final.f1)}, ${best.final.source}).`,
    '',
    `| | trial | ${keys.map((k) => escapeMarkdown(k)).join(' | ')}${keys.length ? ' | ' : ''}accuracy | F1 | loss | epochs | seconds |`,
    `| --- | --- | ${keys.map(() => '---:').join(' | ')}${keys.length ? ' | ' : ''}---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const t of sorted) {
    const mark = t === best ? '★' : '';
    const name = t === best ? `**${escapeMarkdown(t.name)}**` : escapeMarkdown(t.name);
    const cells = keys.map((k) => escapeValue(t.metrics.run.flags[k] ?? '–'));
    lines.push(
      `| ${mark} | ${name} | ${cells.join(' | ')}${keys.length ? ' | ' : ''}${formatMetric('accuracy', t.final.accuracy)} | ${formatMetric('f1', t.final.f1)} | ${formatMetric('loss', t.final.loss)} | ${t.metrics.epochs.length} | ${t.metrics.run.wallSeconds?.toFixed(0) ?? '–'} |`,
    );
  }
  return lines.join('\n') + '\n';
}

export function trialResult(name: string, metrics: MetricsFile): TrialResult {
  return { name, metrics, final: finalMetrics(metrics) };
}
