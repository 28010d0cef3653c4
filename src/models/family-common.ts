// What the encoder families share around the graph: checking a batch against the model's limits
// before ORT sees it, the batch tensors under the graph's input names, a checkpoint's config.json
// and a WordPiece tokenizer_config.json.
import type { Batch } from '../data/types.js';
import { labelConfig, labelMapFromLabels } from '../data/labels.js';
import type { MicroBatch } from '../engine/feeds.js';
import { ModelError } from './errors.js';
import type { ModelConfig } from './family.js';

export interface FeedRules {
  /** The family's name in messages. */
  model: string;
  /** Longest sequence the position table allows. */
  maxPositions: number;
  /** Token ids must be below it (the embedding table's rows). */
  vocabSize: number;
  /**
   * Token types the model has (ids must be below typeVocabSize, as HF's lookup demands); `feed`:
   * token_type_ids is a graph input (a one-row table is added without one). Absent: the model has
   * no token types and the batch's are not used (DistilBERT, ModernBERT).
   */
  tokenTypes?: { typeVocabSize: number; feed: boolean };
}

/** input_ids, attention_mask (+ token_type_ids) (+ labels) of a batch, checked against the model's limits. */
export function encoderFeeds(b: Batch, withLabels: boolean, rules: FeedRules): MicroBatch {
  if (b.seqLen > rules.maxPositions) {
    throw new ModelError(
      'max_length',
      `a batch of ${b.seqLen} tokens is longer than this ${rules.model} model's ${rules.maxPositions} positions; set max_length <= ${rules.maxPositions}`,
    );
  }
  const vocab = BigInt(rules.vocabSize);
  const bad = b.inputIds.findIndex((t) => t >= vocab || t < 0n);
  if (bad >= 0) {
    throw new ModelError(
      'input_ids',
      `row ${b.rows[Math.floor(bad / b.seqLen)]}: token id ${b.inputIds[bad]} is outside this ${rules.model} model's vocabulary (vocab_size ${vocab}); the ids were made with another tokenizer: use the model's own`,
    );
  }
  const dims = [b.batchSize, b.seqLen];
  const mb: MicroBatch = {
    input_ids: { data: b.inputIds, dims },
    attention_mask: { data: b.attentionMask, dims },
  };
  if (rules.tokenTypes) {
    const n = BigInt(rules.tokenTypes.typeVocabSize);
    const i = b.tokenTypeIds.findIndex((t) => t >= n || t < 0n);
    if (i >= 0) {
      throw new ModelError(
        'token_type_ids',
        `row ${b.rows[Math.floor(i / b.seqLen)]}: token type ${b.tokenTypeIds[i]} but this ${rules.model} model has type_vocab_size ${n}; use the model's own tokenizer (or token_type_ids below ${n})`,
      );
    }
    if (rules.tokenTypes.feed) mb.token_type_ids = { data: b.tokenTypeIds, dims };
  }
  if (withLabels) mb.labels = { data: b.labels, dims: [b.batchSize] };
  return mb;
}

/** The original config.json keys, with the architecture and the labels of the fine-tuned head. */
export function encoderCheckpointConfig(
  config: ModelConfig,
  architecture: string,
  labels: string[],
): Record<string, unknown> {
  return {
    ...config.raw,
    architectures: [architecture],
    model_type: config.modelType,
    num_labels: labels.length,
    ...labelConfig(labelMapFromLabels(labels)),
    problem_type: 'single_label_classification',
  };
}

/** tokenizer_config.json of a WordPiece (BERT-style) tokenizer: its class and special tokens. */
export function wordPieceTokenizerConfig(
  tokenizerClass: string,
  o: { doLowerCase?: boolean; maxLength?: number },
  maxPositions: number,
): Record<string, unknown> {
  return {
    tokenizer_class: tokenizerClass,
    do_lower_case: o.doLowerCase ?? true,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
    model_max_length: o.maxLength ?? maxPositions,
  };
}
