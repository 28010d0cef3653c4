// One split tokenized as its rows stream by, before the label map exists: each row's label is an
// index into the split's own table of label values (first-seen order), so a split is read once,
// its text never held, and the ids cached without depending on the label map (another label
// order, a resume, a new class in train: the cached ids stay valid). `labelIds` then maps the
// table onto the run's label map, naming the first row of a label the map lacks.
import type { EncodedDataset } from './encoded-dataset.js';
import { buildLabelMap, labelMapFromLabels } from './labels.js';
import { DataFileError } from './readers/errors.js';
import type { Columns } from './readers/columns.js';
import type { SplitStats } from './stats.js';
import type { LabelMap } from './types.js';

export interface EncodedSplit {
  /** Token ids; `labels[i]` is an index into `labelValues` (single-label; 0 for multi-label rows). */
  dataset: EncodedDataset;
  /** Label values as read, in first-seen order (integers stay numbers). */
  labelValues: (string | number)[];
  /** Multi-label: row i's labels are `labelValues[idx[offsets[i]] .. idx[offsets[i+1]-1]]`. */
  multi?: { offsets: Int32Array; idx: Int32Array };
  stats: SplitStats;
  columns: Columns;
}

/** Label values -> table indices, in first-seen order. */
export class LabelTable {
  readonly values: (string | number)[] = [];
  private readonly index = new Map<string, number>();

  id(value: string | number): number {
    const key = String(value);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.index.set(key, i);
      this.values.push(value);
    }
    return i;
  }
}

/**
 * The run's label map from the training split: `fixed` (a resumed checkpoint's labels), else
 * `classNames` (a dataset card's ClassLabel names, in their id order), else 0/1 label columns in
 * the order given, else every label of train sorted (numerically when all are integers).
 */
export function labelMapOf(train: EncodedSplit, o: { fixed?: string[]; classNames?: readonly string[] }): LabelMap {
  if (o.fixed) return labelMapFromLabels(o.fixed);
  if (o.classNames) return labelMapFromLabels([...o.classNames]);
  if (train.multi && train.columns.labels) return labelMapFromLabels([...train.columns.labels]);
  return buildLabelMap(train.labelValues.map((label) => ({ label })));
}

/** The split with class ids of `map` (multi-label: multi-hot targets); a label `map` lacks fails, naming the row. */
export function withLabelIds(split: EncodedSplit, map: LabelMap, file: string): EncodedDataset {
  const toId = split.labelValues.map((v) => map.label2id[String(v)] ?? -1);
  const fail = (tableIndex: number, example: number): never => {
    throw new DataFileError(
      file,
      `${file}: row ${split.dataset.rows[example]} has label '${String(split.labelValues[tableIndex])}', which the training data does not have ` +
        `(known: ${map.labels.map((l) => `'${l}'`).join(', ')}). Fix: correct the label, or add examples of it to the training file.`,
    );
  };
  const d = split.dataset;
  if (split.multi) {
    const k = map.labels.length;
    const data = new Uint8Array(d.size * k);
    const { offsets, idx } = split.multi;
    for (let i = 0; i < d.size; i++)
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        const id = toId[idx[j]!]!;
        if (id < 0) fail(idx[j]!, i);
        data[i * k + id] = 1;
      }
    return { ...d, labels: new Int32Array(d.size), multiHot: { labels: k, data } };
  }
  const labels = new Int32Array(d.size);
  for (let i = 0; i < d.size; i++) {
    const id = toId[d.labels[i]!]!;
    if (id < 0) fail(d.labels[i]!, i);
    labels[i] = id;
  }
  return { ...d, labels };
}
