// config.json of a DistilBERT model, read with DistilBertConfig's defaults onto BERT's fields
// (dim -> hiddenSize, hidden_dim -> intermediateSize, ...); errors name the file and key.
import { ACTIVATIONS } from '../activations.js';
import type { BertConfig } from '../bert/config.js';
import { ConfigReader } from '../config-reader.js';

export interface DistilBertConfig extends BertConfig {
  modelType: 'distilbert';
}

/** DistilBERT's LayerNorms use a fixed eps (not in the config). */
const LN_EPS = 1e-12;

export function parseDistilBertConfig(json: unknown, file = 'config.json'): DistilBertConfig {
  const r = new ConfigReader(json, file, 'DistilBERT');
  if (r.c.model_type !== 'distilbert')
    throw r.error(`model_type is ${JSON.stringify(r.c.model_type)}; this reader takes "distilbert"`);
  if (r.bool('sinusoidal_pos_embds', false))
    throw r.error(
      'sinusoidal_pos_embds is true: fixed sinusoidal position tables are not supported (transformers 4.x freezes the table, 5.x trains it, so there is no one behaviour to match); use a checkpoint with learned positions (sinusoidal_pos_embds false), as distilbert-base-* have',
    );
  const { hidden, heads } = r.heads('dim', 'n_heads', { hidden: 768, heads: 12 });
  const vocabSize = r.int('vocab_size', 30522);
  const dropout = r.num('dropout', 0.1, 0, 0.95);
  return {
    modelType: 'distilbert',
    hiddenSize: hidden,
    numHeads: heads,
    numLayers: r.int('n_layers', 6),
    intermediateSize: r.int('hidden_dim', 3072),
    hiddenAct: r.oneOf('activation', 'gelu', ACTIVATIONS),
    vocabSize,
    maxPositions: r.int('max_position_embeddings', 512),
    typeVocabSize: 0,
    layerNormEps: LN_EPS,
    hiddenDropout: dropout,
    attentionDropout: r.num('attention_dropout', 0.1, 0, 0.95),
    classifierDropout: r.num('seq_classif_dropout', 0.2, 0, 0.95),
    initializerRange: r.num('initializer_range', 0.02, 0, 10, true),
    padTokenId: r.tokenId('pad_token_id', 0, vocabSize),
    raw: r.c,
    ...r.labels(),
  };
}
