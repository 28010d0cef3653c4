// Text examples -> token ids of a whole split, in the flat storage of data/encoded-dataset.
import { EncodedDatasetBuilder, type EncodedDataset } from '../data/encoded-dataset.js';
import { LabelTable, type EncodedSplit } from '../data/encoded-split.js';
import type { Columns } from '../data/readers/columns.js';
import { SplitStatsBuilder } from '../data/stats.js';
import type { Example, LabelMap } from '../data/types.js';
import type { TextTokenizer } from './text-tokenizer.js';

/** Tokenizes examples (text + optional pair) once; labels go through the label map. */
export function encodeExamples(
  tok: TextTokenizer,
  examples: Iterable<Example>,
  labels: LabelMap,
  maxLength: number,
): EncodedDataset {
  const b = new EncodedDatasetBuilder();
  for (const ex of examples) {
    const label = labels.label2id[String(ex.label)];
    if (label === undefined)
      throw new RangeError(
        `row ${ex.row}: label ${JSON.stringify(ex.label)} is not in the label map (${labels.labels.join(', ')})`,
      );
    const e = tok.encode(ex.text, ex.textPair, maxLength);
    b.add(ex.row, label, e.ids, e.typeIds);
  }
  return b.finish();
}

/**
 * Tokenizes rows as they stream by (nothing but their ids and one length per row is kept): labels
 * go into the split's own label table (see data/encoded-split.ts), statistics are gathered on the
 * way. `columns()` is what the reader chose, asked once the rows are done.
 */
export async function encodeSplit(
  tok: TextTokenizer,
  rows: AsyncIterable<Example>,
  maxLength: number,
  columns: () => Columns,
): Promise<EncodedSplit> {
  const b = new EncodedDatasetBuilder();
  const table = new LabelTable();
  const stats = new SplitStatsBuilder();
  let multiOffsets: number[] | undefined;
  const multiIdx: number[] = [];
  for await (const ex of rows) {
    stats.add(ex);
    let label = 0;
    if (ex.labels) {
      multiOffsets ??= [0];
      for (const l of ex.labels) multiIdx.push(table.id(l));
      multiOffsets.push(multiIdx.length);
    } else label = table.id(ex.label);
    const e = tok.encode(ex.text, ex.textPair, maxLength);
    b.add(ex.row, label, e.ids, e.typeIds);
  }
  return {
    dataset: b.finish(),
    labelValues: table.values,
    ...(multiOffsets && { multi: { offsets: Int32Array.from(multiOffsets), idx: Int32Array.from(multiIdx) } }),
    stats: stats.finish(),
    columns: columns(),
  };
}
