// Tiny model directories of the encoder families (config.json, model.safetensors, tokenizer.json of
// the family's kind), initialised by the family's own _init_weights, for training, export and hub
// tests. `head: false` leaves the classifier out, as a pretrained base checkpoint does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoTokenizerJson } from '../../src/demo/index.js';
import { familyFor } from '../../src/models/registry.js';
import { writeSafetensors, type SafeTensor } from '../../src/models/safetensors.js';
import { initWeights } from '../../src/models/weights.js';
import { TextTokenizer } from '../../src/tokenizer/index.js';
import { encoderTokenizerJson } from './encoder-tokenizers.js';

export type EncoderType = 'roberta' | 'xlm-roberta' | 'distilbert' | 'modernbert';

/** config.json of a hidden-64, 2-layer model of `type` for a tokenizer with `vocab` ids and pad `pad`. */
export function tinyEncoderConfig(
  type: EncoderType,
  vocab: number,
  pad: number,
  maxLength = 64,
): Record<string, unknown> {
  const common = { vocab_size: vocab, pad_token_id: pad, initializer_range: 0.02 };
  if (type === 'distilbert')
    return {
      model_type: 'distilbert',
      architectures: ['DistilBertForSequenceClassification'],
      ...common,
      dim: 64,
      n_layers: 2,
      n_heads: 4,
      hidden_dim: 256,
      max_position_embeddings: maxLength,
      activation: 'gelu',
    };
  if (type === 'modernbert')
    return {
      model_type: 'modernbert',
      architectures: ['ModernBertForSequenceClassification'],
      ...common,
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 128,
      max_position_embeddings: maxLength,
      global_attn_every_n_layers: 2,
      local_attention: 16,
      layer_types: ['full_attention', 'sliding_attention'],
      rope_parameters: {
        full_attention: { rope_type: 'default', rope_theta: 160000 },
        sliding_attention: { rope_type: 'default', rope_theta: 10000 },
      },
    };
  return {
    model_type: type,
    architectures: [type === 'roberta' ? 'RobertaForSequenceClassification' : 'XLMRobertaForSequenceClassification'],
    ...common,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 256,
    hidden_act: 'gelu',
    max_position_embeddings: maxLength + pad + 1,
    type_vocab_size: 1,
    layer_norm_eps: 1e-5,
    bos_token_id: 0,
    eos_token_id: 2,
  };
}

/** The tokenizer.json kind of each model type. */
export function tokenizerFor(type: EncoderType, corpus: string[]): Record<string, unknown> {
  if (type === 'distilbert') return demoTokenizerJson();
  return encoderTokenizerJson(
    type === 'roberta' ? 'roberta' : type === 'xlm-roberta' ? 'xlm-roberta' : 'modernbert',
    corpus,
  );
}

/** Writes a tiny model dir of `type` whose tokenizer was trained on `corpus`; returns its config. */
export function writeTinyEncoder(
  dir: string,
  type: EncoderType,
  corpus: string[],
  o: {
    head?: boolean;
    labels?: number;
    seed?: number;
    maxLength?: number;
    /** Checkpoint key of a parameter (a base model's unprefixed keys, say). */
    key?: (name: string) => string;
    /** More tensors to store (an MLM head's, a buffer). */
    extra?: Record<string, SafeTensor>;
  } = {},
): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  const tokJson = tokenizerFor(type, corpus);
  const tok = new TextTokenizer(tokJson, {}, 'tokenizer.json');
  const config = tinyEncoderConfig(type, tok.vocabSize, tok.padId, o.maxLength);
  const family = familyFor(config, 'config.json');
  const model = family.create(family.parseConfig(config, 'config.json'), o.labels ?? 2);
  const weights = initWeights(model, o.seed ?? 42);
  const tensors = new Map<string, SafeTensor>();
  for (const p of model.params) {
    if (o.head === false && model.keys.head.some((h) => p.name.startsWith(h))) continue;
    tensors.set(o.key ? o.key(p.name) : p.name, { dtype: 'float32', shape: p.shape, data: weights.get(p.name)! });
  }
  for (const [k, t] of Object.entries(o.extra ?? {})) tensors.set(k, t);
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokJson));
  return config;
}
