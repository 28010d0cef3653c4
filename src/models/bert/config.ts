// config.json of a BERT model, read with BertConfig's defaults; errors name the file and the key.
// The fields are the base of the families derived from BERT (RoBERTa reads the same keys,
// DistilBERT maps its own names onto them). Unknown keys are kept (`raw`) so a saved checkpoint
// round-trips them.
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { ConfigReader } from '../config-reader.js';
import type { EncoderConfig } from '../encoder.js';

export interface BertConfig extends EncoderConfig {
  hiddenAct: ActivationName;
  /** Token types; 0 for families without them. */
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
  /** classifier_dropout; null in the config means hidden_dropout_prob. */
  classifierDropout: number;
}

/** HF's defaults that differ between BERT and the families reading BERT's keys. */
export interface BertDefaults {
  vocabSize: number;
  padTokenId: number;
}

/** BERT's keys (hidden_size, num_hidden_layers, ...) with HF's defaults; max_position_embeddings as `maxPositions`. */
export function readBertKeys(r: ConfigReader, d: BertDefaults): Omit<BertConfig, 'modelType'> {
  const pet = r.c.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute')
    throw r.error(
      `position_embedding_type is ${JSON.stringify(pet)}; only "absolute" is supported (relative position embeddings are not)`,
    );
  const { hidden, heads } = r.heads('hidden_size', 'num_attention_heads', { hidden: 768, heads: 12 });
  const vocabSize = r.int('vocab_size', d.vocabSize);
  const hiddenDropout = r.num('hidden_dropout_prob', 0.1, 0, 0.95);
  return {
    hiddenSize: hidden,
    numHeads: heads,
    numLayers: r.int('num_hidden_layers', 12),
    intermediateSize: r.int('intermediate_size', 3072),
    hiddenAct: r.oneOf('hidden_act', 'gelu', ACTIVATIONS),
    vocabSize,
    maxPositions: r.int('max_position_embeddings', 512),
    typeVocabSize: r.int('type_vocab_size', 2),
    layerNormEps: r.num('layer_norm_eps', 1e-12, 0, 1, true),
    hiddenDropout,
    attentionDropout: r.num('attention_probs_dropout_prob', 0.1, 0, 0.95),
    classifierDropout: r.optionalRate('classifier_dropout') ?? hiddenDropout,
    initializerRange: r.num('initializer_range', 0.02, 0, 10, true),
    padTokenId: r.tokenId('pad_token_id', d.padTokenId, vocabSize),
    raw: r.c,
    ...r.labels(),
  };
}

export function parseBertConfig(json: unknown, file = 'config.json'): BertConfig {
  const r = new ConfigReader(json, file, 'BERT');
  // Old BERT configs carry no model_type (HF reads them as BERT).
  const type = r.c.model_type ?? 'bert';
  if (type !== 'bert') throw r.error(`model_type is ${JSON.stringify(type)}; this reader takes "bert"`);
  return { modelType: 'bert', ...readBertKeys(r, { vocabSize: 30522, padTokenId: 0 }) };
}
