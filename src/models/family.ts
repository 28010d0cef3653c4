// The model registry's contract. A family (BERT, RoBERTa, ...) parses its config.json and builds a
// SequenceClassifier: the engine's TrainableModel plus what the rest of training needs from a
// model — the names of its graph inputs, Hugging Face checkpoint naming and initialisation, and the
// config.json / tokenizer_config.json of a fine-tuned checkpoint.
import type { Batch } from '../data/types.js';
import type { ParamSpec, TrainableModel } from '../engine/contract.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { DType } from '../onnx/dtype.js';

/** The fields of a config.json every family reads (each family adds its own). */
export interface ModelConfig {
  /** config.json's model_type. */
  modelType: string;
  vocabSize: number;
  maxPositions: number;
  initializerRange: number;
  /** Pads pre-tokenized batches when there is no tokenizer to ask. */
  padTokenId: number;
  /** From the checkpoint; the training labels (from the data) take precedence. */
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** Every key as read, so a saved checkpoint round-trips keys we do not use. */
  raw: Record<string, unknown>;
}

export interface ModelOptions {
  /** Overrides the config's dropout probabilities (the `dropout` flag). */
  dropout?: number;
  /** float64 for gradient checks; float32 otherwise. */
  dtype?: DType;
  /** Seeds the Dropout nodes (each node gets seed + its index). */
  seed?: number;
}

/** How checkpoint keys map onto the model's parameters (Hugging Face's from_pretrained rules). */
export interface CheckpointKeys {
  /** The parameter name a checkpoint key refers to (legacy spellings, a base model's missing prefix). */
  canonical(key: string): string;
  /** Buffers some checkpoints carry that are not parameters; dropped without a word, as HF does. */
  ignored: readonly RegExp[];
  /** Name prefixes of the task head: a head of another shape (other labels) is re-initialised, not an error. */
  head: readonly string[];
}

export interface SequenceClassifier extends TrainableModel {
  /** The Hugging Face class it implements (named in loading reports and checkpoints). */
  readonly architecture: string;
  readonly config: ModelConfig;
  readonly numLabels: number;
  readonly keys: CheckpointKeys;
  /** A batch's tensors ([rows, seq]) under this model's graph-input names; `labels` when asked. */
  feeds(batch: Batch, withLabels: boolean): MicroBatch;
  /** A fresh value for one parameter (the family's _init_weights), reproducible from the seed. */
  initParam(spec: ParamSpec, seed: number): Float32Array;
  /** config.json of a fine-tuned checkpoint for these labels (loads in transformers and transformers.js). */
  checkpointConfig(labels: string[]): Record<string, unknown>;
  /** tokenizer_config.json for a checkpoint whose source model has none. */
  tokenizerConfig(o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown>;
}

/** The sizes of a model, as `textclf bench` takes them. */
export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
  /** The longest sequence it must take (the position table is at least this long). */
  maxLength: number;
}

export interface ModelFamily<C extends ModelConfig = ModelConfig> {
  /** config.json model_type values this family handles. */
  readonly modelTypes: readonly string[];
  /** The Hugging Face class it implements (named in loading reports and checkpoints). */
  readonly architecture: string;
  parseConfig(json: unknown, file: string): C;
  // Method syntax on purpose: families with their own config types fit one registry list.
  create(config: C, numLabels: number, opts?: ModelOptions): SequenceClassifier;
  /** config.json of a model of this family with the given sizes (benchmarks, tests). */
  shapeConfig(modelType: string, shape: ModelShape): Record<string, unknown>;
}
