// config.json of a RoBERTa or XLM-RoBERTa model (the same modeling code in Hugging Face), read with
// RobertaConfig's defaults; errors name the file and the key.
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { ConfigReader } from '../config-reader.js';
import type { ModelConfig } from '../family.js';

export interface RobertaConfig extends ModelConfig {
  modelType: 'roberta' | 'xlm-roberta';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenAct: ActivationName;
  /** max_position_embeddings: rows of the position table (positions start at pad_token_id + 1). */
  positionRows: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
  /** classifier_dropout; null in the config means hidden_dropout_prob. */
  classifierDropout: number;
}

export function parseRobertaConfig(json: unknown, file = 'config.json'): RobertaConfig {
  const r = new ConfigReader(json, file, 'RoBERTa');
  const type = r.c.model_type;
  if (type !== 'roberta' && type !== 'xlm-roberta')
    throw r.error(`model_type is ${JSON.stringify(type)}; this reader takes "roberta" or "xlm-roberta"`);
  const pet = r.c.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute')
    throw r.error(
      `position_embedding_type is ${JSON.stringify(pet)}; only "absolute" is supported (relative position embeddings are not)`,
    );
  const { hidden, heads } = r.heads('hidden_size', 'num_attention_heads', { hidden: 768, heads: 12 });
  const vocabSize = r.int('vocab_size', 50265);
  const padTokenId = r.tokenId('pad_token_id', 1, vocabSize);
  const positionRows = r.int('max_position_embeddings', 512);
  // Positions run pad+1 .. pad+T, so the longest sequence is the table size minus pad+1 (514 -> 512).
  const maxPositions = positionRows - padTokenId - 1;
  if (maxPositions < 1)
    throw r.error(
      `max_position_embeddings ${positionRows} leaves no position after pad_token_id ${padTokenId} (RoBERTa positions start at pad_token_id + 1)`,
    );
  const hiddenDropout = r.num('hidden_dropout_prob', 0.1, 0, 0.95);
  return {
    modelType: type,
    hiddenSize: hidden,
    numHeads: heads,
    numLayers: r.int('num_hidden_layers', 12),
    intermediateSize: r.int('intermediate_size', 3072),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    vocabSize,
    positionRows,
    maxPositions,
    typeVocabSize: r.int('type_vocab_size', 2),
    layerNormEps: r.num('layer_norm_eps', 1e-12, 0, 1, true),
    hiddenDropout,
    attentionDropout: r.num('attention_probs_dropout_prob', 0.1, 0, 0.95),
    classifierDropout: r.optionalRate('classifier_dropout') ?? hiddenDropout,
    initializerRange: r.num('initializer_range', 0.02, 0, 10, true),
    padTokenId,
    raw: r.c,
    ...r.labels(),
  };
}
