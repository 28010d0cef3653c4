// Flags -> tokenized splits: datastore -> files -> rows -> label map -> token ids (once per run).
// Multi-label rows get multi-hot targets next to their ids.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { open } from 'node:fs/promises';
import { flagSpec, type TrainFlags } from '../config/schema.js';
import { labelMapOf, withLabelIds, type EncodedSplit } from '../data/encoded-split.js';
import { labelMapFromLabels } from '../data/labels.js';
import { readPretokenizedJsonl } from '../data/pretokenized.js';
import { NoLabelsError, streamExamples, type ColumnOptions, type Columns } from '../data/readers/index.js';
import { combineStats } from '../data/stats.js';
import type { LabelMap } from '../data/types.js';
import { DatastoreError, locateFile, resolveDatastore, type HubDataset } from '../datastore/index.js';
import type { DataSource } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import { encodeSplit } from '../tokenizer/encode.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import type { DatasetStats } from '../data/stats.js';
import { sha256File } from '../datastore/checksum.js';
import { loadSplit, saveSplit, tokenCacheKey } from '../tokenizer/token-cache.js';

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: Split[] = ['train', 'valid', 'test'];

export interface SplitFiles {
  root: string;
  datastore?: string;
  /** Each split's files (one, or a Hub dataset's shards, in order). */
  files: Partial<Record<Split, string[]>>;
  /** The train file is pre-tokenized JSONL (decides whether a tokenizer is needed). */
  pretokenized: boolean;
  /** Class names by label column (a Hub dataset card's ClassLabel features). */
  classLabels?: Record<string, string[]>;
  /** A Hub dataset: which of its splits each of ours is (for the log, metrics.json and the report). */
  source?: DataSource;
}

export interface LoadedData {
  labelMap: LabelMap;
  splits: Partial<Record<Split, EncodedDataset>>;
  stats?: DatasetStats;
  /** The files of each split that was read (a split skipped for hidden labels is absent). */
  files: Partial<Record<Split, string[]>>;
}

/** Resolves the datastore and the three split files; a default-named valid/test file may be absent. */
export async function locateSplits(flags: TrainFlags, log: Logger, signal?: AbortSignal): Promise<SplitFiles> {
  let root = process.cwd();
  let datastore: string | undefined;
  let single: string | undefined;
  let hub: HubDataset | undefined;
  const named: Partial<Record<Split, string>> = {};
  let gridName: string | undefined;
  for (const split of SPLITS) {
    const flag = `${split}_file` as const;
    const mapped = gridPath(flags[flag]);
    if (mapped) {
      log.notice(
        `${flag} ${flags[flag]}: the tutorial's datastore mount; reading ${mapped.rest} from ${flags.datastore ? 'the datastore' : `the cached datastore '${mapped.name}'`}`,
      );
      named[split] = mapped.rest;
      gridName ??= mapped.name;
    }
  }
  const source = flags.datastore ?? gridName;
  if (source) {
    const ds = await log.group('Datastore', async () => {
      const ds = await resolveDatastore({
        source,
        version: flags.datastore_version,
        sha256: flags.datastore_sha256,
        cacheDir: flags.cache_dir,
        log,
        // `auto` is decided by the caller (the action: schedule events); here it means no.
        refresh: flags.datastore_refresh === 'always',
        downloadTimeoutMs: flags.download_timeout * 1000,
        downloadTimeLimitMs: flags.download_time_limit * 1000,
        signal,
        datasetConfig: flags.dataset_config,
        hubUrl: flags.hub_url,
      });
      log.info(
        `datastore ${ds.name}@${ds.version} at ${ds.root}${ds.fromCache && !ds.refresh?.downloaded ? ' (from cache, no download)' : ''}`,
      );
      return ds;
    });
    root = ds.root;
    single = ds.file;
    hub = ds.hub;
    datastore = `${ds.name}@${ds.version}`;
  }
  const files: Partial<Record<Split, string[]>> = {};
  const mapped: Partial<Record<Split, string>> = {};
  const skipped: { flag: string; single: boolean }[] = [];
  for (const split of SPLITS) {
    const flag = `${split}_file` as const;
    let name: string | undefined = named[split] ?? flags[flag];
    const isDefault = flags[flag] === flagSpec(flag)?.default;
    if (split === 'train' && single && isDefault) name = single;
    // A datastore that is one data file is the training data: its neighbours are not splits.
    const notASplit = split !== 'train' && !!single && isDefault && !named[split];
    if (notASplit) name = undefined;
    if (!name) {
      if (split !== 'train') skipped.push({ flag, single: notASplit });
      continue;
    }
    if (hub && isDefault) {
      // A Hub dataset's own splits, unless a flag names a file inside it.
      const own = hub.splits[split];
      if (own) {
        files[split] = own.files.map((f) => join(root, f));
        mapped[split] = own.name;
        continue;
      }
      const have = Object.values(hub.splits).map((s) => s.name);
      if (split === 'train')
        throw new DatastoreError(
          source!,
          `hf://datasets/${hub.repo} (config ${hub.config}) has no train split (it has: ${have.join(', ') || 'none'}). Fix: set train_file to one of its files.`,
        );
      log.notice(
        `${flag}: the dataset has no ${split === 'valid' ? 'validation' : 'test'} split; ${split === 'valid' ? 'validation' : 'the final test'} is skipped (set ${flag} to a file inside it to use one)`,
      );
      continue;
    }
    try {
      files[split] = [await locateFile(root, name, log, flag)];
      if (hub) mapped[split] = relative(root, files[split]![0]!);
    } catch (e) {
      // valid.csv/test.csv are defaults, not promises: a datastore without them trains anyway.
      if (!(e instanceof DatastoreError) || split === 'train' || !isDefault) throw e;
      log.notice(
        `${flag}: no ${name} in the datastore; ${split === 'valid' ? 'validation' : 'the final test'} is skipped (set ${flag} to use another file)`,
      );
    }
  }
  const fromFile = skipped.filter((s) => s.single).map((s) => s.flag);
  if (fromFile.length)
    log.info(
      `datastore ${source} is one file, the training data: no ${fromFile.join(' or ')} from beside it (set ${fromFile.join(' / ')} to name one)`,
    );
  for (const { flag } of skipped.filter((s) => !s.single))
    log.info(`${flag} is empty: ${flag === 'valid_file' ? 'no validation' : 'no final test'}`);
  const dataSource = hub ? hubSource(hub, mapped, log) : undefined;
  return {
    root,
    datastore,
    files,
    pretokenized: await isPretokenized(files.train![0]!),
    ...(hub?.classLabels && { classLabels: hub.classLabels }),
    ...(dataSource && { source: dataSource }),
  };
}

/** Says which of the dataset's splits (or files) each of ours is: in the log, and for metrics.json. */
function hubSource(hub: HubDataset, mapped: Partial<Record<Split, string>>, log: Logger): DataSource {
  const splits = Object.fromEntries(SPLITS.filter((s) => mapped[s]).map((s) => [s, mapped[s]!]));
  log.info(
    `Hub dataset ${hub.repo} at ${hub.sha.slice(0, 12)} (config ${hub.config}${hub.converted ? ', Parquet conversion' : ''}): ` +
      SPLITS.map((s) => `${s} <- ${mapped[s] ?? '(none)'}`).join(', ') +
      (hub.classLabels ? `; label names from the dataset card (${Object.keys(hub.classLabels).join(', ')})` : ''),
  );
  return {
    datastore: `hf://datasets/${hub.repo}`,
    revision: hub.sha,
    config: hub.config,
    splits,
    ...(hub.converted && { converted: true }),
    ...(hub.classLabels && { classLabels: Object.keys(hub.classLabels) }),
  };
}

/**
 * The Grid tutorial mounts a datastore named N at /datastores/N/ (its train.py gets
 * --train_file /datastores/imdb-ds/train.csv): a path there that does not exist on this machine
 * means the file inside the datastore.
 */
function gridPath(file: string | undefined): { name: string; rest: string } | undefined {
  const m = file ? /^\/datastores\/([^/]+)\/(.+)$/.exec(file.trim()) : null;
  return m && !existsSync(file!) ? { name: m[1], rest: m[2] } : undefined;
}

/** A .jsonl file whose first record has input_ids is pre-tokenized. */
async function isPretokenized(file: string): Promise<boolean> {
  if (!/\.(jsonl|ndjson)$/i.test(file)) return false;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const first = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .split('\n')
      .find((l) => l.trim());
    return !!first && /"input_ids"\s*:/.test(first);
  } finally {
    await fh.close();
  }
}

/** Reads and tokenizes the splits; labels come from train (or from `fixedLabels` when resuming). */
export async function loadSplits(
  sf: SplitFiles,
  flags: TrainFlags,
  tok: TextTokenizer | undefined,
  log: Logger,
  fixedLabels?: string[],
  tokenCacheDir?: string,
): Promise<LoadedData> {
  const maxLength = flags.max_length;
  const splits: Partial<Record<Split, EncodedDataset>> = {};
  const multi = flags.problem_type === 'multi_label_classification';
  const shown = (split: Split) => sf.files[split]!.join(', ');
  if (sf.pretokenized && multi)
    throw new Error(
      `train_file ${shown('train')}: pre-tokenized files carry one class id per line; multi-label training needs text files (CSV, TSV, JSONL or Parquet) with a label column`,
    );
  if (sf.pretokenized) {
    let labelMap: LabelMap | undefined = fixedLabels ? labelMapFromLabels(fixedLabels) : undefined;
    for (const split of SPLITS) {
      const files = sf.files[split];
      if (!files) continue;
      if (files.length !== 1)
        throw new Error(`${split}_file: pre-tokenized data is one JSONL file per split, got ${files.length} files`);
      const d = await readPretokenizedJsonl(files[0]!, { vocabSize: tok?.vocabSize, maxLength, labelMap });
      labelMap = d.labelMap;
      splits[split] = d.dataset;
      log.info(`${split}: ${d.dataset.size} pre-tokenized rows from ${files[0]}`);
    }
    return { labelMap: labelMap!, splits, files: sf.files };
  }
  if (!tok) throw new Error('internal: a tokenizer is needed for text files');
  const columns: ColumnOptions = {
    textColumn: flags.text_column,
    textPairColumn: flags.text_pair_column,
    labelColumn: flags.label_column,
    multiLabel: multi ? { separator: flags.label_separator } : undefined,
    classLabels: sf.classLabels,
  };
  const tokenizerHash = tokenCacheKey([JSON.stringify(tok.json), JSON.stringify(tok.config)]);
  // Everything a split's ids, labels and statistics depend on, but the label map: the files'
  // bytes, the tokenizer, max_length, the column flags and the class names.
  const columnKey = JSON.stringify([
    flags.text_column ?? null,
    flags.text_pair_column ?? null,
    flags.label_column ?? null,
    multi ? flags.label_separator : null,
    sf.classLabels ?? null,
  ]);
  const encoded: Partial<Record<Split, EncodedSplit>> = {};
  await log.group('Tokenizing', async () => {
    for (const split of SPLITS) {
      const files = sf.files[split];
      if (!files) continue;
      const t0 = Date.now();
      const key =
        tokenCacheDir &&
        tokenCacheKey([
          'v3', // v3: label tables and statistics in the entry, labels mapped after loading
          ...(await Promise.all(files.map((f) => sha256File(f)))),
          tokenizerHash,
          String(maxLength),
          columnKey,
        ]);
      let e = key ? loadSplit(tokenCacheDir!, key) : undefined;
      const cached = !!e;
      if (!e) {
        let chosen: Columns | undefined;
        try {
          e = await encodeSplit(
            tok,
            streamExamples(files, columns, (c) => (chosen = c)),
            maxLength,
            () => chosen!,
          );
        } catch (err) {
          // Hugging Face's hidden test labels (-1): the split cannot be scored, training goes on.
          if (!(err instanceof NoLabelsError) || split === 'train') throw err;
          log.notice(
            `${split}: ${err.message.replace(/\. Fix:.*$/, '')}; ${split === 'valid' ? 'validation' : 'the final test'} is skipped`,
          );
          continue;
        }
        if (e.dataset.size === 0)
          throw new Error(
            `${split}_file ${shown(split)} has no data rows; add rows or point ${split}_file at another file`,
          );
        if (key) saveSplit(tokenCacheDir!, key, e);
      }
      encoded[split] = e;
      const c = e.columns;
      const seconds = (Date.now() - t0) / 1000;
      log.info(
        `${split}: ${e.dataset.size} rows from ${shown(split)} (text: ${c.text}${c.textPair ? ` + ${c.textPair}` : ''}, label: ${c.label}), ` +
          `${e.dataset.ids.length} tokens ${cached ? 'from the token cache' : 'tokenized'} in ${seconds.toFixed(1)} s`,
      );
    }
  });
  const train = encoded.train!;
  const classNames = Object.hasOwn(sf.classLabels ?? {}, train.columns.label)
    ? sf.classLabels![train.columns.label]
    : undefined;
  const labelMap = labelMapOf(train, { fixed: fixedLabels, classNames });
  for (const split of SPLITS) {
    const e = encoded[split];
    if (e) splits[split] = withLabelIds(e, labelMap, shown(split));
  }
  const files: Partial<Record<Split, string[]>> = {};
  for (const split of SPLITS) if (encoded[split]) files[split] = sf.files[split];
  return {
    labelMap,
    splits,
    stats: combineStats({ train: train.stats, valid: encoded.valid?.stats, test: encoded.test?.stats }),
    files,
  };
}
