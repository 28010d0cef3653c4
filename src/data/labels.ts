// Label maps: built from the training split only, sorted (numerically when every label is an
// integer, else by code point, which no locale can reorder), so the same data always gives the
// same ids. The map travels into checkpoints; valid/test labels must be in it.
import type { Example, LabelMap } from './types.js';
import { DataFileError } from './readers/errors.js';

export function buildLabelMap(train: Iterable<Pick<Example, 'label'>>): LabelMap {
  const seen = new Map<string, string | number>();
  for (const ex of train) seen.set(String(ex.label), ex.label);
  const values = [...seen.values()];
  const numeric = values.every((v) => typeof v === 'number');
  const labels = numeric
    ? (values as number[]).sort((a, b) => a - b).map(String)
    : values.map(String).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return labelMapFromLabels(labels);
}

/** Rebuilds the map from an ordered label list (e.g. a checkpoint's id2label). */
export function labelMapFromLabels(labels: string[]): LabelMap {
  const label2id: Record<string, number> = Object.create(null);
  labels.forEach((l, i) => {
    label2id[l] = i;
  });
  return { labels: [...labels], label2id };
}

/** Class ids in example order; a label the map lacks fails, naming the label, row and file. */
export function applyLabelMap(
  examples: readonly Pick<Example, 'label' | 'row'>[],
  map: LabelMap,
  file: string,
): Int32Array {
  const ids = new Int32Array(examples.length);
  examples.forEach((ex, i) => {
    const id = map.label2id[String(ex.label)];
    if (id === undefined) {
      throw new DataFileError(
        file,
        `${file}: row ${ex.row} has label '${String(ex.label)}', which the training data does not have ` +
          `(known: ${map.labels.map((l) => `'${l}'`).join(', ')}). Fix: correct the label, or add examples of it to the training file.`,
      );
    }
    ids[i] = id;
  });
  return ids;
}

/** Multi-label: every label of the training rows, sorted as buildLabelMap sorts (or `order`, e.g. 0/1 columns as given). */
export function buildMultiLabelMap(train: Iterable<Pick<Example, 'labels'>>, order?: readonly string[]): LabelMap {
  if (order) return labelMapFromLabels([...order]);
  const all: Pick<Example, 'label'>[] = [];
  for (const ex of train) for (const l of ex.labels ?? []) all.push({ label: l });
  return buildLabelMap(all);
}

/** Multi-hot targets [rows, labels]; a label the map lacks fails, naming the label, row and file. */
export function applyMultiLabelMap(
  examples: readonly Pick<Example, 'labels' | 'row'>[],
  map: LabelMap,
  file: string,
): Uint8Array {
  const k = map.labels.length;
  const out = new Uint8Array(examples.length * k);
  examples.forEach((ex, i) => {
    for (const l of ex.labels ?? []) {
      const id = map.label2id[l];
      if (id === undefined)
        throw new DataFileError(
          file,
          `${file}: row ${ex.row} has label '${l}', which the training data does not have ` +
            `(known: ${map.labels.map((x) => `'${x}'`).join(', ')}). Fix: correct the label, or add examples of it to the training file.`,
        );
      out[i * k + id] = 1;
    }
  });
  return out;
}

/** Hugging Face config.json fields (id2label keys are strings of the ids). */
export function labelConfig(map: LabelMap): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return { id2label: Object.fromEntries(map.labels.map((l, i) => [String(i), l])), label2id: { ...map.label2id } };
}
