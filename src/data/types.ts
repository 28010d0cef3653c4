// Shapes of data as it flows: file rows -> labelled examples -> token ids -> padded batches.

/** One row read from a dataset file (1-based `row` = data row number, header excluded). */
export interface Example {
  row: number;
  text: string;
  textPair?: string;
  /** Raw label as read: a string, or an integer for integer labels (multi-label: the labels joined for display). */
  label: string | number;
  /** Multi-label rows: the row's labels (possibly none). */
  labels?: string[];
}

/** Sorted, stable label set; travels into checkpoints as id2label/label2id. */
export interface LabelMap {
  labels: string[];
  label2id: Record<string, number>;
}

/** A tokenized example (ids as plain numbers; token types/mask optional). */
export interface EncodedExample {
  row: number;
  inputIds: number[];
  tokenTypeIds?: number[];
  attentionMask?: number[];
  /** Class id (index into LabelMap.labels). */
  label: number;
}

/** A padded batch in the layout the model graph takes (int64, row-major [batchSize, seqLen]). */
export interface Batch {
  batchSize: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  labels: BigInt64Array;
  /** Multi-label: multi-hot targets, row-major [batchSize, numLabels]. */
  targets?: Float32Array;
  /** Source rows of the examples, in batch order (for predictions files). */
  rows: number[];
}
