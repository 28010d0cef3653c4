// Text examples -> token ids of a whole split, in the flat storage of data/encoded-dataset.
import { EncodedDatasetBuilder, type EncodedDataset } from '../data/encoded-dataset.js';
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
