// RoBERTa and XLM-RoBERTa (RobertaForSequenceClassification / XLMRobertaForSequenceClassification):
// BERT's parts with RoBERTa's embeddings, head, parameter prefix, initialisation and tokenizer.
import { bertParts } from '../bert/parts.js';
import { baseModelKeys } from '../bert/keys.js';
import { initEncoderParam } from '../encoder-init.js';
import { EncoderClassifier, type EncoderParts } from '../encoder.js';
import type { ModelFamily } from '../family.js';
import { parseRobertaConfig, type RobertaConfig } from './config.js';
import { RobertaClassificationHead, RobertaEmbeddings } from './graph.js';

export const robertaParts: EncoderParts<RobertaConfig> = {
  ...bertParts,
  architecture: (c) =>
    c.modelType === 'xlm-roberta' ? 'XLMRobertaForSequenceClassification' : 'RobertaForSequenceClassification',
  // A RobertaModel checkpoint has a pooler, which RobertaForSequenceClassification does not use (reported).
  keys: baseModelKeys({
    base: 'roberta',
    modules: ['embeddings', 'encoder', 'pooler'],
    buffers: ['position_ids', 'token_type_ids'],
    head: ['classifier.'],
  }),
  base: 'roberta',
  // roberta-base and xlm-roberta have one token type: then it is a constant row, not an input.
  tokenTypes: (c) => ({ typeVocabSize: c.typeVocabSize, feed: c.typeVocabSize > 1 }),
  embeddings: (s, c) => new RobertaEmbeddings(s, c),
  head: (root, _base, c, numLabels) => new RobertaClassificationHead(root, c, numLabels),
  init: (spec, seed, c) => {
    const padded = spec.name.endsWith('word_embeddings.weight') || spec.name.endsWith('position_embeddings.weight');
    return initEncoderParam(spec, seed, { std: c.initializerRange, zeroRows: padded ? [c.padTokenId] : [] });
  },
  tokenizerConfig: (c, o) => ({
    tokenizer_class: c.modelType === 'xlm-roberta' ? 'XLMRobertaTokenizer' : 'RobertaTokenizer',
    bos_token: '<s>',
    eos_token: '</s>',
    sep_token: '</s>',
    cls_token: '<s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    mask_token: '<mask>',
    model_max_length: o.maxLength ?? c.maxPositions,
  }),
};

export const robertaFamily: ModelFamily<RobertaConfig> = {
  modelTypes: ['roberta', 'xlm-roberta'],
  architecture: 'RobertaForSequenceClassification',
  parseConfig: parseRobertaConfig,
  create: (config, numLabels, opts) => new EncoderClassifier(robertaParts, config, numLabels, opts),
  shapeConfig: (type, s) => ({
    model_type: type,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    // positions start at pad_token_id + 1 (as roberta-base's 514 rows for 512 tokens)
    max_position_embeddings: Math.max(512, s.maxLength) + 2,
    type_vocab_size: 1,
    pad_token_id: 1,
  }),
};

export { parseRobertaConfig, type RobertaConfig } from './config.js';
