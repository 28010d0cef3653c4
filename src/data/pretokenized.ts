// Pre-tokenized JSONL: one object per line with input_ids, optional attention_mask / token_type_ids
// and label (or labels). Needs no tokenizer. Integer labels are class ids as they stand (label map
// 0..max); string labels get a sorted label map, like the text readers.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { EncodedDatasetBuilder, type EncodedDataset } from './encoded-dataset.js';
import { labelMapFromLabels } from './labels.js';
import type { LabelMap } from './types.js';

export class PretokenizedError extends Error {
  override readonly name = 'PretokenizedError';
}

export interface PretokenizedOptions {
  /** When known (model config), ids must be below it. */
  vocabSize?: number;
  /** When set, longer lines are an error (pre-tokenized ids are not truncated: that would drop [SEP]). */
  maxLength?: number;
  /** Label map to use (valid/test files reuse the training file's); built from the file otherwise. */
  labelMap?: LabelMap;
}

export interface PretokenizedData {
  dataset: EncodedDataset;
  labelMap: LabelMap;
}

type Row = { line: number; ids: number[]; mask?: number[]; types?: number[]; label: string | number };

function intArray(v: unknown, key: string, at: string, check: (x: number) => string | undefined): number[] {
  if (!Array.isArray(v)) throw new PretokenizedError(`${at}: "${key}" must be an array of integers`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x))
      throw new PretokenizedError(`${at}: ${key}[${i}] = ${JSON.stringify(x)} is not an integer`);
    const bad = check(x);
    if (bad) throw new PretokenizedError(`${at}: ${key}[${i}] = ${x} ${bad}`);
  }
  return v as number[];
}

function parseLine(text: string, at: string, line: number, opts: PretokenizedOptions): Row {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new PretokenizedError(`${at}: invalid JSON (${(e as Error).message})`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o))
    throw new PretokenizedError(`${at}: each line must be a JSON object with input_ids and label`);
  if (!('input_ids' in o))
    throw new PretokenizedError(`${at}: missing "input_ids"; pre-tokenized files need input_ids on every line`);
  const vs = opts.vocabSize;
  const ids = intArray(o.input_ids, 'input_ids', at, (x) =>
    x < 0
      ? 'is negative'
      : vs !== undefined && x >= vs
        ? `is >= the model's vocab_size ${vs}; the ids were made with a different tokenizer`
        : undefined,
  );
  if (ids.length === 0) throw new PretokenizedError(`${at}: "input_ids" is empty`);
  if (opts.maxLength !== undefined && ids.length > opts.maxLength) {
    throw new PretokenizedError(
      `${at}: ${ids.length} input_ids exceed max_length ${opts.maxLength}; raise max_length or shorten the line`,
    );
  }
  const sameLength = (key: string, arr: number[]) => {
    if (arr.length !== ids.length)
      throw new PretokenizedError(
        `${at}: "${key}" has ${arr.length} entries but input_ids has ${ids.length}; they must be the same length`,
      );
    return arr;
  };
  const mask =
    o.attention_mask === undefined
      ? undefined
      : sameLength(
          'attention_mask',
          intArray(o.attention_mask, 'attention_mask', at, (x) => (x === 0 || x === 1 ? undefined : 'must be 0 or 1')),
        );
  const types =
    o.token_type_ids === undefined
      ? undefined
      : sameLength(
          'token_type_ids',
          intArray(o.token_type_ids, 'token_type_ids', at, (x) => (x === 0 || x === 1 ? undefined : 'must be 0 or 1')),
        );
  const label = o.label !== undefined ? o.label : o.labels;
  if (label === undefined) throw new PretokenizedError(`${at}: missing "label" (or "labels")`);
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label < 0)
      throw new PretokenizedError(`${at}: label ${label} must be a non-negative integer class id (or a string)`);
  } else if (typeof label !== 'string') {
    throw new PretokenizedError(`${at}: label must be an integer class id or a string, got ${JSON.stringify(label)}`);
  }
  return { line, ids, mask, types, label };
}

function labelMapFor(rows: Pick<Row, 'line' | 'label'>[], file: string): LabelMap {
  const ints = rows.filter((r) => typeof r.label === 'number');
  if (ints.length > 0 && ints.length < rows.length) {
    const s = rows.find((r) => typeof r.label === 'string')!;
    throw new PretokenizedError(
      `${file}:${s.line}: label ${JSON.stringify(s.label)} is a string but other lines use integer labels; use one kind`,
    );
  }
  if (ints.length > 0) {
    const max = ints.reduce((m, r) => Math.max(m, r.label as number), 0);
    return labelMapFromLabels(Array.from({ length: max + 1 }, (_, i) => String(i)));
  }
  return labelMapFromLabels([...new Set(rows.map((r) => r.label as string))].sort());
}

/** Reads a pre-tokenized JSONL file (blank lines skipped; row = 1-based line number). */
export async function readPretokenizedJsonl(file: string, opts: PretokenizedOptions = {}): Promise<PretokenizedData> {
  // Ids go straight into flat storage; only labels are kept per line until the label map is known.
  const rows: Pick<Row, 'line' | 'label'>[] = [];
  const b = new EncodedDatasetBuilder();
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw; // a BOM (Windows editors), as the JSONL reader allows
      if (text.trim() === '') continue;
      const r = parseLine(text, `${file}:${n}`, n, opts);
      b.add(r.line, -1, r.ids, r.types, r.mask);
      rows.push({ line: r.line, label: r.label });
    }
  } catch (e) {
    if (e instanceof PretokenizedError) throw e;
    throw new PretokenizedError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (rows.length === 0) throw new PretokenizedError(`${file}: no examples (the file is empty)`);
  const labelMap = opts.labelMap ?? labelMapFor(rows, file);
  const dataset = b.finish();
  rows.forEach((r, i) => {
    const id = labelMap.label2id[String(r.label)];
    if (id === undefined) {
      throw new PretokenizedError(
        `${file}:${r.line}: label ${JSON.stringify(r.label)} is not one of the training labels (${labelMap.labels.join(', ')})`,
      );
    }
    dataset.labels[i] = id;
  });
  return { dataset, labelMap };
}
