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
  const { named, gridName } = gridNames(flags, log);
  const source = flags.datastore ?? gridName;
  const ds = source ? await openDatastore(source, flags, log, signal) : undefined;
  const root = ds?.root ?? process.cwd();
  const hub = ds?.hub;
  const found: FoundSplits = { files: {}, mapped: {}, skipped: [] };
  for (const split of SPLITS)
    await locateSplit(split, { flags, named, root, single: ds?.file, hub, source }, found, log);
  const fromFile = found.skipped.filter((s) => s.single).map((s) => s.flag);
  if (fromFile.length)
    log.info(
      `datastore ${source} is one file, the training data: no ${fromFile.join(' or ')} from beside it (set ${fromFile.join(' / ')} to name one)`,
    );
  for (const { flag } of found.skipped.filter((s) => !s.single))
    log.info(`${flag} is empty: ${flag === 'valid_file' ? 'no validation' : 'no final test'}`);
  const dataSource = hub ? hubSource(hub, found.mapped, log) : undefined;
  return {
    root,
    datastore: ds && `${ds.name}@${ds.version}`,
    files: found.files,
    pretokenized: await isPretokenized(found.files.train![0]!),
    ...(hub?.classLabels && { classLabels: hub.classLabels }),
    ...(dataSource && { source: dataSource }),
  };
}

/** The split flags that name the tutorial's /datastores/<name>/ mount: the file inside, and the datastore's name. */
function gridNames(flags: TrainFlags, log: Logger): { named: Partial<Record<Split, string>>; gridName?: string } {
  const named: Partial<Record<Split, string>> = {};
  let gridName: string | undefined;
  for (const split of SPLITS) {
    const flag = `${split}_file` as const;
    const mapped = gridPath(flags[flag]);
    if (!mapped) continue;
    log.notice(
      `${flag} ${flags[flag]}: the tutorial's datastore mount; reading ${mapped.rest} from ${flags.datastore ? 'the datastore' : `the cached datastore '${mapped.name}'`}`,
    );
    named[split] = mapped.rest;
    gridName ??= mapped.name;
  }
  return { named, gridName };
}

type Datastore = Awaited<ReturnType<typeof resolveDatastore>>;

function openDatastore(source: string, flags: TrainFlags, log: Logger, signal?: AbortSignal): Promise<Datastore> {
  return log.group('Datastore', async () => {
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
}

interface FoundSplits {
  files: Partial<Record<Split, string[]>>;
  /** A Hub dataset: which of its splits (or files) each of ours is. */
  mapped: Partial<Record<Split, string>>;
  skipped: { flag: string; single: boolean }[];
}

interface SplitContext {
  flags: TrainFlags;
  named: Partial<Record<Split, string>>;
  root: string;
  /** The datastore is this one data file. */
  single?: string;
  hub?: HubDataset;
  source?: string;
}

/** Finds one split's files into `found` (or records why it has none). */
async function locateSplit(split: Split, c: SplitContext, found: FoundSplits, log: Logger): Promise<void> {
  const flag = `${split}_file` as const;
  let name: string | undefined = c.named[split] ?? c.flags[flag];
  const isDefault = c.flags[flag] === flagSpec(flag)?.default;
  if (split === 'train' && c.single && isDefault) name = c.single;
  // A datastore that is one data file is the training data: its neighbours are not splits.
  const notASplit = split !== 'train' && !!c.single && isDefault && !c.named[split];
  if (notASplit) name = undefined;
  if (!name) {
    if (split !== 'train') found.skipped.push({ flag, single: notASplit });
    return;
  }
  if (c.hub && isDefault) return hubSplit(split, c.hub, c, found, log);
  try {
    found.files[split] = [await locateFile(c.root, name, log, flag)];
    if (c.hub) found.mapped[split] = relative(c.root, found.files[split]![0]!);
  } catch (e) {
    // valid.csv/test.csv are defaults, not promises: a datastore without them trains anyway.
    if (!(e instanceof DatastoreError) || split === 'train' || !isDefault) throw e;
    log.notice(
      `${flag}: no ${name} in the datastore; ${split === 'valid' ? 'validation' : 'the final test'} is skipped (set ${flag} to use another file)`,
    );
  }
}

/** A Hub dataset's own split, unless a flag names a file inside it. */
function hubSplit(split: Split, hub: HubDataset, c: SplitContext, found: FoundSplits, log: Logger): void {
  const own = hub.splits[split];
  if (own) {
    found.files[split] = own.files.map((f) => join(c.root, f));
    found.mapped[split] = own.name;
    return;
  }
  const have = Object.values(hub.splits).map((s) => s.name);
  if (split === 'train')
    throw new DatastoreError(
      c.source!,
      `hf://datasets/${hub.repo} (config ${hub.config}) has no train split (it has: ${have.join(', ') || 'none'}). Fix: set train_file to one of its files.`,
    );
  const what = split === 'valid' ? 'validation' : 'test';
  log.notice(
    `${split}_file: the dataset has no ${what} split; ${split === 'valid' ? 'validation' : 'the final test'} is skipped (set ${split}_file to a file inside it to use one)`,
  );
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
  const multi = flags.problem_type === 'multi_label_classification';
  if (sf.pretokenized && multi)
    throw new Error(
      `train_file ${sf.files.train!.join(', ')}: pre-tokenized files carry one class id per line; multi-label training needs text files (CSV, TSV, JSONL or Parquet) with a label column`,
    );
  if (sf.pretokenized) return loadPretokenized(sf, flags.max_length, tok, log, fixedLabels);
  if (!tok) throw new Error('internal: a tokenizer is needed for text files');
  const encoded: Partial<Record<Split, EncodedSplit>> = {};
  const enc = splitEncoder(sf, flags, tok, log, tokenCacheDir);
  await log.group('Tokenizing', async () => {
    for (const split of SPLITS) {
      const e = sf.files[split] && (await enc(split));
      if (e) encoded[split] = e;
    }
  });
  const train = encoded.train!;
  const classNames = Object.hasOwn(sf.classLabels ?? {}, train.columns.label)
    ? sf.classLabels![train.columns.label]
    : undefined;
  const labelMap = labelMapOf(train, { fixed: fixedLabels, classNames });
  const splits: Partial<Record<Split, EncodedDataset>> = {};
  const files: Partial<Record<Split, string[]>> = {};
  for (const split of SPLITS) {
    const e = encoded[split];
    if (!e) continue;
    splits[split] = withLabelIds(e, labelMap, sf.files[split]!.join(', '));
    files[split] = sf.files[split];
  }
  return {
    labelMap,
    splits,
    stats: combineStats({ train: train.stats, valid: encoded.valid?.stats, test: encoded.test?.stats }),
    files,
  };
}

async function loadPretokenized(
  sf: SplitFiles,
  maxLength: number,
  tok: TextTokenizer | undefined,
  log: Logger,
  fixedLabels?: string[],
): Promise<LoadedData> {
  const splits: Partial<Record<Split, EncodedDataset>> = {};
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

/**
 * Encodes one split of text files, through the token cache when there is one; undefined when the
 * split has hidden labels (Hugging Face's -1 test labels: it cannot be scored, training goes on).
 */
function splitEncoder(
  sf: SplitFiles,
  flags: TrainFlags,
  tok: TextTokenizer,
  log: Logger,
  tokenCacheDir?: string,
): (split: Split) => Promise<EncodedSplit | undefined> {
  const multi = flags.problem_type === 'multi_label_classification';
  const columns: ColumnOptions = {
    textColumn: flags.text_column,
    textPairColumn: flags.text_pair_column,
    labelColumn: flags.label_column,
    multiLabel: multi ? { separator: flags.label_separator } : undefined,
    classLabels: sf.classLabels,
  };
  const cacheKey = tokenCacheDir ? splitKey(sf, flags, tok) : undefined;
  return async (split) => {
    const files = sf.files[split]!;
    const shown = files.join(', ');
    const t0 = Date.now();
    const key = cacheKey && (await cacheKey(files));
    const cached = key ? loadSplit(tokenCacheDir!, key) : undefined;
    const e = cached ?? (await encodeFiles(split, files, columns, flags.max_length, tok, log));
    if (!e) return undefined;
    if (!cached && e.dataset.size === 0)
      throw new Error(`${split}_file ${shown} has no data rows; add rows or point ${split}_file at another file`);
    if (!cached && key) saveSplit(tokenCacheDir!, key, e);
    const c = e.columns;
    log.info(
      `${split}: ${e.dataset.size} rows from ${shown} (text: ${c.text}${c.textPair ? ` + ${c.textPair}` : ''}, label: ${c.label}), ` +
        `${e.dataset.ids.length} tokens ${cached ? 'from the token cache' : 'tokenized'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return e;
  };
}

/**
 * The token cache key of a split: everything its ids, labels and statistics depend on, but the
 * label map: the files' bytes, the tokenizer, max_length, the column flags and the class names.
 */
function splitKey(sf: SplitFiles, flags: TrainFlags, tok: TextTokenizer): (files: string[]) => Promise<string> {
  const multi = flags.problem_type === 'multi_label_classification';
  const tokenizerHash = tokenCacheKey([JSON.stringify(tok.json), JSON.stringify(tok.config)]);
  const columnKey = JSON.stringify([
    flags.text_column ?? null,
    flags.text_pair_column ?? null,
    flags.label_column ?? null,
    multi ? flags.label_separator : null,
    sf.classLabels ?? null,
  ]);
  return async (files) =>
    tokenCacheKey([
      'v3', // v3: label tables and statistics in the entry, labels mapped after loading
      ...(await Promise.all(files.map((f) => sha256File(f)))),
      tokenizerHash,
      String(flags.max_length),
      columnKey,
    ]);
}

async function encodeFiles(
  split: Split,
  files: string[],
  columns: ColumnOptions,
  maxLength: number,
  tok: TextTokenizer,
  log: Logger,
): Promise<EncodedSplit | undefined> {
  let chosen: Columns | undefined;
  try {
    return await encodeSplit(
      tok,
      streamExamples(files, columns, (c) => (chosen = c)),
      maxLength,
      () => chosen!,
    );
  } catch (err) {
    if (!(err instanceof NoLabelsError) || split === 'train') throw err;
    log.notice(
      `${split}: ${err.message.replace(/\. Fix:.*$/, '')}; ${split === 'valid' ? 'validation' : 'the final test'} is skipped`,
    );
    return undefined;
  }
}
