// Which files of a dataset repository make its train/validation/test splits, as the `datasets`
// library decides it: the card's `configs` (data_files patterns per split) when it has them, else
// split names in file and folder names (train/training, validation/valid/dev/val,
// test/testing/eval/evaluation), else every data file is train. The Hub's Parquet conversion
// (refs/convert/parquet) lays files out as <config>/<split>/NNNN.parquet (partial-<split> when only
// the first part of a big split was converted).
import type { CardConfig, DatasetCard } from './hf-card.js';
import type { SplitName } from './types.js';

/** Data files we read, by suffix. */
export const DATA_SUFFIXES = ['.parquet', '.csv', '.tsv', '.jsonl', '.ndjson'];

const KEYWORDS: Record<SplitName, string[]> = {
  train: ['train', 'training'],
  valid: ['validation', 'valid', 'dev', 'val'],
  test: ['test', 'testing', 'eval', 'evaluation'],
};

export interface Layout {
  config: string;
  /** Our split -> the dataset's split name and its files (repo paths, sorted). */
  splits: Partial<Record<SplitName, { name: string; files: string[] }>>;
  /** Splits of the dataset we do not read (e.g. imdb's `unsupervised`). */
  ignored: string[];
  /** A converted split that holds only the first part of the data. */
  partial: string[];
}

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

/** Our split for a dataset split name (undefined: not one we read). */
export function ourSplit(name: string): SplitName | undefined {
  const n = name.toLowerCase();
  return (Object.keys(KEYWORDS) as SplitName[]).find((s) => KEYWORDS[s].includes(n));
}

const isData = (path: string) => DATA_SUFFIXES.some((s) => path.toLowerCase().endsWith(s));

/** The layout of a repository's files (`paths`) under its card, for `config` (optional). */
export function layoutOf(paths: readonly string[], card: DatasetCard, config?: string): Layout | undefined {
  const files = paths.filter((p) => !p.split('/').some((seg) => seg.startsWith('.')));
  if (card.configs.length) return fromConfigs(files, card.configs, config);
  if (config && config !== 'default')
    throw new LayoutError(
      `dataset_config '${config}': the dataset card declares no configs (this repository has one, 'default')`,
    );
  const data = files.filter(isData);
  if (!data.length) return undefined;
  // One format, as `datasets` does: the most common of the data files.
  const bySuffix = new Map<string, string[]>();
  for (const f of data) {
    const suffix = DATA_SUFFIXES.find((s) => f.toLowerCase().endsWith(s))!;
    bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), f]);
  }
  const chosen = [...bySuffix.values()].sort((a, b) => b.length - a.length)[0]!;
  return bySplitNames(chosen, 'default');
}

function fromConfigs(files: string[], configs: CardConfig[], wanted?: string): Layout {
  const names = configs.map((c) => c.name);
  const config = wanted
    ? configs.find((c) => c.name === wanted)
    : (configs.find((c) => c.default) ??
      configs.find((c) => c.name === 'default') ??
      (configs.length === 1 ? configs[0] : undefined));
  if (!config)
    throw new LayoutError(
      wanted
        ? `dataset_config '${wanted}' is not one of the dataset's configs (${names.join(', ')})`
        : `the dataset has several configs (${names.join(', ')}) and none is the default: set dataset_config to one of them`,
    );
  const layout: Layout = { config: config.name, splits: {}, ignored: [], partial: [] };
  for (const d of config.dataFiles) {
    const matched = files.filter((f) => d.patterns.some((p) => globMatch(p, f))).sort();
    if (d.split === undefined) {
      layout.splits.train = { name: 'train', files: matched };
      continue;
    }
    const ours = ourSplit(d.split);
    if (!ours || layout.splits[ours]) layout.ignored.push(d.split);
    else layout.splits[ours] = { name: d.split, files: matched };
  }
  return layout;
}

/** Splits from the words in file and folder names; no split word anywhere: all of it is train. */
function bySplitNames(files: string[], config: string): Layout {
  const layout: Layout = { config, splits: {}, ignored: [], partial: [] };
  const named = new Map<SplitName, string[]>();
  for (const f of files) {
    const words = f
      .toLowerCase()
      .replace(/\.[^./]+$/, '')
      .split(/[-._ \d/]+/);
    const split = (Object.keys(KEYWORDS) as SplitName[]).find((s) => KEYWORDS[s].some((k) => words.includes(k)));
    if (split) named.set(split, [...(named.get(split) ?? []), f]);
  }
  if (!named.size) layout.splits.train = { name: 'train', files: [...files].sort() };
  for (const [split, fs] of named) {
    const word = KEYWORDS[split].find((k) => fs.some((f) => f.toLowerCase().includes(k)))!;
    layout.splits[split] = { name: word, files: fs.sort() };
  }
  return layout;
}

/** The Parquet conversion's layout: <config>/<split>/NNNN.parquet, <config>/partial-<split>/..., or legacy <config>/<name>-<split>.parquet. */
export function convertedLayout(paths: readonly string[], wanted?: string): Layout {
  const parquet = paths.filter((p) => p.endsWith('.parquet'));
  const configs = [...new Set(parquet.map((p) => p.split('/')[0]!))].sort();
  const config = wanted ?? (configs.includes('default') ? 'default' : configs.length === 1 ? configs[0] : undefined);
  if (!config || !configs.includes(config))
    throw new LayoutError(
      wanted
        ? `dataset_config '${wanted}' is not one of the configs of the Parquet conversion (${configs.join(', ') || 'none'})`
        : `the dataset has several configs (${configs.join(', ')}): set dataset_config to one of them`,
    );
  const layout: Layout = { config, splits: {}, ignored: [], partial: [] };
  const bySplit = new Map<string, string[]>();
  for (const p of parquet) {
    const parts = p.split('/');
    if (parts[0] !== config) continue;
    const name = parts.length >= 3 ? parts[1]! : /-([^-]+)\.parquet$/.exec(parts[1]!)?.[1];
    if (name) bySplit.set(name, [...(bySplit.get(name) ?? []), p]);
  }
  for (const [name, files] of bySplit) {
    const plain = name.replace(/^partial-/, '');
    const ours = ourSplit(plain);
    if (!ours) {
      layout.ignored.push(plain);
      continue;
    }
    layout.splits[ours] = { name: plain, files: files.sort() };
    if (plain !== name) layout.partial.push(plain);
  }
  return layout;
}

/** fsspec-style globs of `data_files`: `*` and `?` within a path segment, `**` across segments. */
export function globMatch(pattern: string, path: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(path.replace(/^\.\//, ''));
}
