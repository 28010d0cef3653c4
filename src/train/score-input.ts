// The file predict and evaluate score: --input as a path, or inside --datastore (as train_file),
// read and tokenized in file order with the model's tokenizer and labels.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PredictFlags } from '../config/schema.js';
import { FlagError } from '../config/parse.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import { applyLabelMap, applyMultiLabelMap, labelMapFromLabels } from '../data/labels.js';
import { readExamples } from '../data/readers/index.js';
import type { Example } from '../data/types.js';
import { locateFile, resolveDatastore } from '../datastore/index.js';
import { encodeExamples } from '../tokenizer/encode.js';
import type { Logger } from '../util/logger.js';
import type { TrainedModel } from './trained-model.js';

type InputFlags = Pick<
  PredictFlags,
  | 'input'
  | 'datastore'
  | 'datastore_version'
  | 'datastore_sha256'
  | 'cache_dir'
  | 'datastore_refresh'
  | 'dataset_config'
  | 'hub_url'
>;

/** The absolute path of --input (inside the datastore when one is given). */
export async function locateInput(flags: InputFlags, log: Logger): Promise<string> {
  if (!flags.input)
    throw new FlagError('input', '--input is required: the CSV, TSV, JSONL or Parquet file to score (- reads stdin)');
  if (flags.datastore) {
    const ds = await resolveDatastore({
      source: flags.datastore,
      version: flags.datastore_version,
      sha256: flags.datastore_sha256,
      cacheDir: flags.cache_dir,
      log,
      refresh: flags.datastore_refresh === 'always',
      datasetConfig: flags.dataset_config,
      hubUrl: flags.hub_url,
    });
    return locateFile(ds.root, flags.input, log, 'input');
  }
  const path = resolve(flags.input);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new FlagError(
      'input',
      `--input ${flags.input} is not a file; pass a CSV, TSV, JSONL or Parquet file (or --datastore with a file inside it)`,
    );
  return path;
}

export interface ScoreInput {
  rows: Example[];
  dataset: EncodedDataset;
  textColumn: string;
  textPairColumn?: string;
  /** predict: the input's own label column (its cells are each row's `label`), when it has one. */
  labelColumn?: string;
}

/**
 * Reads and tokenizes `file`. With `withLabels` (evaluate) the label column is read and mapped
 * onto the model's labels (an unknown label fails naming the row); without (predict), the text,
 * and a label column's cells as given when the file has one.
 */
export async function readScoreInput(
  file: string,
  m: TrainedModel,
  columns: { textColumn?: string; textPairColumn?: string; labelColumn?: string; labelSeparator: string },
  withLabels: boolean,
): Promise<ScoreInput> {
  const multi = m.problemType === 'multi_label_classification';
  const r = await readExamples(file, {
    textColumn: columns.textColumn,
    textPairColumn: columns.textPairColumn,
    labelColumn: columns.labelColumn,
    noLabels: !withLabels,
    keepLabel: !withLabels,
    multiLabel: multi && withLabels ? { separator: columns.labelSeparator } : undefined,
  });
  if (r.examples.length === 0) throw new FlagError('input', `--input ${file} has no data rows`);
  const map = labelMapFromLabels(m.labels);
  let dataset: EncodedDataset;
  if (!withLabels) {
    // the given labels (if any) are kept on the rows, not mapped: the ids carry no labels
    const unlabelled = r.examples.map((e) => ({ ...e, label: '' }));
    dataset = encodeExamples(m.tokenizer, unlabelled, labelMapFromLabels(['']), m.maxLength);
  } else if (multi) {
    const targets = applyMultiLabelMap(r.examples, map, file);
    const ids = encodeExamples(
      m.tokenizer,
      r.examples.map((e) => ({ ...e, label: '' })),
      labelMapFromLabels(['']),
      m.maxLength,
    );
    dataset = { ...ids, multiHot: { labels: m.labels.length, data: targets } };
  } else {
    // a label the model does not know fails with the row (as in training)
    applyLabelMap(r.examples, map, file);
    dataset = encodeExamples(m.tokenizer, r.examples, map, m.maxLength);
  }
  return {
    rows: r.examples,
    dataset,
    textColumn: r.columns.text,
    textPairColumn: r.columns.textPair,
    ...(!withLabels && r.columns.label ? { labelColumn: r.columns.label } : {}),
  };
}

/** `predict --text`: the texts as rows 1.., tokenized with the model's tokenizer. */
export function textsInput(texts: readonly string[], m: TrainedModel): ScoreInput {
  const rows: Example[] = texts.map((text, i) => ({ row: i + 1, text, label: '' }));
  return {
    rows,
    dataset: encodeExamples(m.tokenizer, rows, labelMapFromLabels(['']), m.maxLength),
    textColumn: 'text',
  };
}
