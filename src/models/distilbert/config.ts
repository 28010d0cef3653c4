// config.json of a DistilBERT model, read with DistilBertConfig's defaults; errors name the file and key.
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { ConfigReader } from '../config-reader.js';
import type { ModelConfig } from '../family.js';

export interface DistilBertConfig extends ModelConfig {
  modelType: 'distilbert';
  dim: number;
  numLayers: number;
  numHeads: number;
  hiddenDim: number;
  activation: ActivationName;
  dropout: number;
  attentionDropout: number;
  seqClassifDropout: number;
}

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
  return {
    modelType: 'distilbert',
    dim: hidden,
    numHeads: heads,
    numLayers: r.int('n_layers', 6),
    hiddenDim: r.int('hidden_dim', 3072),
    activation: r.oneOf('activation', 'gelu', ACTIVATIONS),
    vocabSize,
    maxPositions: r.int('max_position_embeddings', 512),
    dropout: r.num('dropout', 0.1, 0, 0.95),
    attentionDropout: r.num('attention_dropout', 0.1, 0, 0.95),
    seqClassifDropout: r.num('seq_classif_dropout', 0.2, 0, 0.95),
    initializerRange: r.num('initializer_range', 0.02, 0, 10, true),
    padTokenId: r.tokenId('pad_token_id', 0, vocabSize),
    raw: r.c,
    ...r.labels(),
  };
}
