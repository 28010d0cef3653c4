// Integer labels -> the class names a dataset declares (a Hugging Face dataset card's ClassLabel
// feature: `dataset_info.features[].dtype.class_label.names`), so a label column of 0/1 trains as
// neg/pos. Hugging Face marks a row without a label (GLUE's hidden test labels) with -1.
import type { Example } from '../types.js';
import type { Columns } from './columns.js';
import { DataFileError } from './errors.js';

/** The split's first row has no label (-1): the dataset hides this split's labels. */
export class NoLabelsError extends DataFileError {}

export async function* withClassNames(
  rows: AsyncGenerator<Example>,
  columns: () => Columns,
  file: string,
  classLabels: Readonly<Record<string, readonly string[]>>,
  separator = '|',
): AsyncGenerator<Example> {
  for await (const ex of rows) {
    const col = columns().label;
    const names = Object.hasOwn(classLabels, col) ? classLabels[col] : undefined;
    if (!names) {
      yield ex;
      continue;
    }
    const name = (label: string | number): string => {
      const id = typeof label === 'number' ? label : /^-?\d+$/.test(label.trim()) ? Number(label) : undefined;
      if (id === undefined) {
        if (names.includes(label as string)) return label as string;
        throw new DataFileError(
          file,
          `${file}: row ${ex.row} has label '${label}', which is not one of the dataset's class names (${names.join(', ')}). Fix: correct the label.`,
        );
      }
      if (id === -1) {
        const msg = `${file}: row ${ex.row} has label -1 in '${col}', Hugging Face's mark for "no label" (the dataset hides these labels)`;
        if (ex.row === 1)
          throw new NoLabelsError(file, `${msg}. Fix: score this split with textclf predict, or use another split.`);
        throw new DataFileError(file, `${msg}, among labelled rows. Fix: drop the unlabelled rows.`);
      }
      if (!Number.isInteger(id) || id < 0 || id >= names.length)
        throw new DataFileError(
          file,
          `${file}: row ${ex.row} has label ${id} in '${col}', but the dataset card names classes 0..${names.length - 1} only (${names.join(', ')}). Fix: correct the label or the card's class_label names.`,
        );
      return names[id]!;
    };
    if (ex.labels) {
      const labels = [...new Set(ex.labels.map(name))];
      yield { ...ex, labels, label: labels.join(separator) };
    } else yield { ...ex, label: name(ex.label) };
  }
}
