// Flags -> tokenized splits: datastore -> files -> rows -> label map -> token ids (once per run).
// Multi-label rows get multi-hot targets next to their ids.
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { flagSpec, type TrainFlags } from '../config/schema.js';
import {
  applyLabelMap,
  applyMultiLabelMap,
  buildLabelMap,
  buildMultiLabelMap,
  labelMapFromLabels,
} from '../data/labels.js';
import { readPretokenizedJsonl } from '../data/pretokenized.js';
import { readExamples } from '../data/readers/index.js';
import { datasetStats } from '../data/stats.js';
import type { Example, LabelMap } from '../data/types.js';
import { DatastoreError, locateFile, resolveDatastore } from '../datastore/index.js';
import type { Logger } from '../util/logger.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import { encodeExamples } from '../tokenizer/encode.js';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.js';
import type { DatasetStats } from '../data/stats.js';
import { sha256File } from '../datastore/checksum.js';
import { loadEncoded, saveEncoded, tokenCacheKey } from '../tokenizer/token-cache.js';

export type Split = 'train' | 'valid' | 'test';
export const SPLITS: Split[] = ['train', 'valid', 'test'];

export interface SplitFiles {
  root: string;
  datastore?: string;
  files: Partial<Record<Split, string>>;
  /** The train file is pre-tokenized JSONL (decides whether a tokenizer is needed). */
  pretokenized: boolean;
}

export interface LoadedData {
  labelMap: LabelMap;
  splits: Partial<Record<Split, EncodedDataset>>;
  stats?: DatasetStats;
  files: Partial<Record<Split, string>>;
}

/** Resolves the datastore and the three split files; a default-named valid/test file may be absent. */
export async function locateSplits(flags: TrainFlags, log: Logger, signal?: AbortSignal): Promise<SplitFiles> {
  let root = process.cwd();
  let datastore: string | undefined;
  let single: string | undefined;
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
      });
      log.info(
        `datastore ${ds.name}@${ds.version} at ${ds.root}${ds.fromCache && !ds.refresh?.downloaded ? ' (from cache, no download)' : ''}`,
      );
      return ds;
    });
    root = ds.root;
    single = ds.file;
    datastore = `${ds.name}@${ds.version}`;
  }
  const files: Partial<Record<Split, string>> = {};
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
    try {
      files[split] = await locateFile(root, name, log, flag);
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
  return { root, datastore, files, pretokenized: await isPretokenized(files.train!) };
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
  if (sf.pretokenized && multi)
    throw new Error(
      `train_file ${sf.files.train}: pre-tokenized files carry one class id per line; multi-label training needs text files (CSV, TSV or JSONL) with a label column`,
    );
  if (sf.pretokenized) {
    let labelMap: LabelMap | undefined = fixedLabels ? labelMapFromLabels(fixedLabels) : undefined;
    for (const split of SPLITS) {
      const file = sf.files[split];
      if (!file) continue;
      const d = await readPretokenizedJsonl(file, { vocabSize: tok?.vocabSize, maxLength, labelMap });
      labelMap = d.labelMap;
      splits[split] = d.dataset;
      log.info(`${split}: ${d.dataset.size} pre-tokenized rows from ${file}`);
    }
    return { labelMap: labelMap!, splits, files: sf.files };
  }
  if (!tok) throw new Error('internal: a tokenizer is needed for text files');
  const columns = {
    textColumn: flags.text_column,
    textPairColumn: flags.text_pair_column,
    labelColumn: flags.label_column,
    multiLabel: multi ? { separator: flags.label_separator } : undefined,
  };
  let labelOrder: string[] | undefined;
  const rows: Partial<Record<Split, Example[]>> = {};
  const chosen: Partial<Record<Split, string>> = {};
  for (const split of SPLITS) {
    const file = sf.files[split];
    if (!file) continue;
    const r = await readExamples(file, columns);
    if (r.examples.length === 0)
      throw new Error(`${split}_file ${file} has no data rows; add rows or point ${split}_file at another file`);
    rows[split] = r.examples;
    if (split === 'train') labelOrder = r.columns.labels;
    chosen[split] = [r.columns.text, r.columns.textPair ?? '', r.columns.label].join('\0');
    log.info(
      `${split}: ${r.examples.length} rows from ${file} (text: ${r.columns.text}${r.columns.textPair ? ` + ${r.columns.textPair}` : ''}, label: ${r.columns.label})`,
    );
  }
  const labelMap = fixedLabels
    ? labelMapFromLabels(fixedLabels)
    : multi
      ? buildMultiLabelMap(rows.train!, labelOrder)
      : buildLabelMap(rows.train!);
  const targets: Partial<Record<Split, Uint8Array>> = {};
  for (const split of SPLITS) {
    if (!rows[split]) continue;
    if (multi) targets[split] = applyMultiLabelMap(rows[split]!, labelMap, sf.files[split]!);
    else applyLabelMap(rows[split]!, labelMap, sf.files[split]!);
  }
  // Multi-label: the ids are tokenized (and cached) without labels; the targets come from the rows.
  const idMap = multi ? labelMapFromLabels(['']) : labelMap;
  const tokenizerHash = tokenCacheKey([JSON.stringify(tok.json), JSON.stringify(tok.config)]);
  await log.group('Tokenizing', async () => {
    for (const split of SPLITS) {
      if (!rows[split]) continue;
      const t0 = Date.now();
      // Everything the ids depend on: the file's bytes, the tokenizer, max_length, columns, labels.
      const key =
        tokenCacheDir &&
        tokenCacheKey([
          'v2', // v2: RoBERTa/XLM-R/ModernBERT tokenizers (Precompiled normalizer, pad fallback)
          await sha256File(sf.files[split]!),
          tokenizerHash,
          String(maxLength),
          chosen[split]!,
          multi ? '\0multi-label' : labelMap.labels.join('\0'),
        ]);
      const cached = key ? loadEncoded(tokenCacheDir!, key) : undefined;
      const examples = multi ? rows[split]!.map((e) => ({ ...e, label: '' })) : rows[split]!;
      splits[split] = cached ?? encodeExamples(tok, examples, idMap, maxLength);
      if (key && !cached) saveEncoded(tokenCacheDir!, key, splits[split]!);
      if (multi)
        splits[split] = { ...splits[split]!, multiHot: { labels: labelMap.labels.length, data: targets[split]! } };
      log.info(
        `${split}: ${splits[split]!.size} examples, ${splits[split]!.ids.length} tokens ${cached ? 'from the token cache' : 'tokenized'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  });
  return { labelMap, splits, stats: datasetStats(rows), files: sf.files };
}
