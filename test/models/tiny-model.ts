// Writes a tiny, valid BERT model dir (config.json, model.safetensors, tokenizer.json, vocab.txt)
// with seeded random weights, for hub, loading and export tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertModel, parseBertConfig, type BertConfig } from '../../src/models/bert/index.js';
import { initWeights } from '../../src/models/weights.js';
import { writeSafetensors, type SafeTensor } from '../../src/models/safetensors.js';
import { BERT_DEFAULTS, bertTokenizerJson } from '../../src/tokenizer/index.js';

export const TINY_VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'a',
  'movie',
  'film',
  'was',
  'is',
  'great',
  'good',
  'bad',
  'awful',
  'boring',
  'fun',
  'i',
  'it',
  'loved',
  'hated',
  'plot',
  'acting',
  'not',
  '!',
  '.',
  ',',
  '##s',
  '##ly',
  '##ing',
];

export function tinyConfigJson(labels = 2): Record<string, unknown> {
  return {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    vocab_size: TINY_VOCAB.length,
    max_position_embeddings: 32,
    type_vocab_size: 2,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    initializer_range: 0.5,
    pad_token_id: 0,
    id2label: Object.fromEntries(Array.from({ length: labels }, (_, i) => [String(i), `LABEL_${i}`])),
  };
}

export interface TinyOptions {
  labels?: number;
  /** Which files to write (default all four). */
  files?: ('config.json' | 'model.safetensors' | 'tokenizer.json' | 'vocab.txt')[];
  /** Rename keys before writing (to test HF key variants). */
  renameKey?: (k: string) => string | undefined;
  seed?: number;
}

export function writeTinyModel(
  dir: string,
  o: TinyOptions = {},
): { config: BertConfig; weights: Map<string, Float32Array> } {
  mkdirSync(dir, { recursive: true });
  const files = new Set(o.files ?? ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']);
  const json = tinyConfigJson(o.labels ?? 2);
  const config = parseBertConfig(json);
  const weights = initWeights(new BertModel(config, o.labels ?? 2), o.seed ?? 11);
  if (files.has('config.json')) writeFileSync(join(dir, 'config.json'), JSON.stringify(json, null, 2));
  if (files.has('model.safetensors')) {
    const t = new Map<string, SafeTensor>();
    const specs = new BertModel(config, o.labels ?? 2).params;
    for (const s of specs) {
      const k = o.renameKey ? o.renameKey(s.name) : s.name;
      if (k) t.set(k, { dtype: 'float32', shape: s.shape, data: weights.get(s.name)! });
    }
    writeSafetensors(join(dir, 'model.safetensors'), t);
  }
  if (files.has('vocab.txt')) writeFileSync(join(dir, 'vocab.txt'), `${TINY_VOCAB.join('\n')}\n`);
  if (files.has('tokenizer.json'))
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify(bertTokenizerJson(TINY_VOCAB, BERT_DEFAULTS, 'tiny vocab')),
    );
  return { config, weights };
}
