// The one helper the tests that cover every family loop with: the registry's model types, a tiny
// config.json of each (its family's own shapeConfig), the tokenizer.json kind its checkpoints ship,
// and tiny model directories (config.json, model.safetensors, tokenizer.json) initialised by the
// family's own _init_weights, for training, export and hub tests. `head: false` leaves the
// classifier out, as a pretrained base checkpoint does. A new family is covered with no edit here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoTokenizerJson } from '../../src/demo/index.js';
import { familyFor, supportedModelTypes } from '../../src/models/registry.js';
import { writeSafetensors, type SafeTensor } from '../../src/models/safetensors.js';
import { initWeights } from '../../src/models/weights.js';
import { TextTokenizer } from '../../src/tokenizer/index.js';
import { encoderTokenizerJson, type TokenizerKind } from './encoder-tokenizers.js';

/** Every model type the registry lists: the tests that cover each family loop over these. */
export const MODEL_TYPES: readonly string[] = supportedModelTypes();
export type EncoderType = string;

/**
 * Keys a family's tiny model sets beyond its shapeConfig so that a short test sequence exercises
 * what the family has (ModernBERT: a sliding layer whose window is shorter than the batches). A new
 * family needs no entry.
 */
const TINY_EXTRAS: Record<string, Record<string, unknown>> = {
  modernbert: {
    intermediate_size: 128,
    local_attention: 16,
    layer_types: ['full_attention', 'sliding_attention'],
    rope_parameters: {
      full_attention: { rope_type: 'default', rope_theta: 160000 },
      sliding_attention: { rope_type: 'default', rope_theta: 10000 },
    },
  },
};

/**
 * config.json of a hidden-64, 2-layer model of `type` (the family's own shapeConfig) for a tokenizer
 * with `vocab` ids and pad `pad`; `extra` adds or overrides keys.
 */
export function tinyEncoderConfig(
  type: EncoderType,
  vocab: number,
  pad: number,
  maxLength = 64,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const family = familyFor({ model_type: type }, `${type} config.json`);
  const shape = { layers: 2, hidden: 64, heads: 4, intermediate: 256, vocab, maxLength };
  return {
    ...family.shapeConfig(type, shape),
    pad_token_id: pad,
    initializer_range: 0.02,
    ...TINY_EXTRAS[type],
    ...extra,
  };
}

/** The pad id a family's checkpoints use (its shapeConfig's, else 0) and a first-token id clear of it. */
export function specialIds(type: EncoderType): { pad: number; cls: number } {
  const family = familyFor({ model_type: type }, `${type} config.json`);
  const shape = { layers: 1, hidden: 8, heads: 1, intermediate: 8, vocab: 100, maxLength: 8 };
  const pad = (family.shapeConfig(type, shape).pad_token_id as number | undefined) ?? 0;
  return { pad, cls: pad === 0 ? 1 : 0 };
}

/** The tokenizer.json kind a family's checkpoints ship, by the tokenizer class it writes (WordPiece otherwise). */
export function tokenizerFor(type: EncoderType, corpus: string[]): Record<string, unknown> {
  const family = familyFor({ model_type: type }, `${type} config.json`);
  const config = family.parseConfig(tinyEncoderConfig(type, 100, 0), 'config.json');
  const cls = family.create(config, 2).tokenizerConfig({}).tokenizer_class;
  const kind: Record<string, TokenizerKind> = {
    RobertaTokenizer: 'roberta',
    XLMRobertaTokenizer: 'xlm-roberta',
    PreTrainedTokenizerFast: 'modernbert',
  };
  const k = kind[cls as string];
  return k ? encoderTokenizerJson(k, corpus) : demoTokenizerJson();
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
