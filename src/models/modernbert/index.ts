// ModernBERT (ModernBertForSequenceClassification): the frame's parts, overriding what ModernBERT
// must (pre-norm layers with rotary positions and sliding windows, its head, its initialisation).
import { bertParts } from '../bert/parts.js';
import { baseModelKeys } from '../bert/keys.js';
import { initEncoderParam } from '../encoder-init.js';
import { EncoderClassifier, type EncoderParts } from '../encoder.js';
import { encoderCheckpointConfig } from '../family-common.js';
import type { ModelFamily } from '../family.js';
import { parseModernBertConfig, type ModernBertConfig } from './config.js';
import {
  ModernBertEmbeddings,
  ModernBertHead,
  ModernBertLayer,
  modernBertContext,
  type ModernBertContext,
} from './graph.js';

export const modernbertParts: EncoderParts<ModernBertConfig, ModernBertContext> = {
  ...bertParts,
  architecture: () => 'ModernBertForSequenceClassification',
  // A masked-LM checkpoint (answerdotai/ModernBERT-*) has the same `head` (dense + norm) as the
  // classifier, which loads, and a decoder bias, which is reported as unused.
  keys: baseModelKeys({
    base: 'model',
    modules: ['embeddings', 'layers', 'final_norm'],
    buffers: [],
    head: ['classifier.'],
  }),
  base: 'model',
  dropouts: (c) => ({
    embeddings: c.embeddingDropout,
    attention: c.attentionDropout,
    hidden: c.mlpDropout,
    classifier: c.classifierDropout,
  }),
  tokenTypes: () => undefined,
  embeddings: (s, c) => new ModernBertEmbeddings(s, c),
  layer: (base, c, i) => new ModernBertLayer(base.child('layers').child(i), c, i, c.layerTypes[i]),
  context: modernBertContext,
  head: (root, base, c, numLabels) => new ModernBertHead(root, base, c, numLabels),
  // Truncated normal at +-cutoff*std; std by role (in, out, final).
  init: (spec, seed, c) => {
    const std =
      spec.name === 'classifier.weight'
        ? c.hiddenSize ** -0.5
        : /\.Wo\.|^head\.dense\./.test(spec.name)
          ? c.initializerRange / Math.sqrt(2 * c.numLayers)
          : c.initializerRange;
    return initEncoderParam(spec, seed, { std, cutoff: c.initializerCutoffFactor });
  },
  checkpointConfig: encoderCheckpointConfig,
  tokenizerConfig: (c, o) => ({
    tokenizer_class: 'PreTrainedTokenizerFast',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    model_input_names: ['input_ids', 'attention_mask'],
    model_max_length: o.maxLength ?? c.maxPositions,
  }),
};

export const modernbertFamily: ModelFamily<ModernBertConfig> = {
  modelTypes: ['modernbert'],
  architecture: 'ModernBertForSequenceClassification',
  parseConfig: parseModernBertConfig,
  create: (config, numLabels, opts) => new EncoderClassifier(modernbertParts, config, numLabels, opts),
  shapeConfig: (_type, s) => ({
    model_type: 'modernbert',
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    vocab_size: s.vocab,
    max_position_embeddings: Math.max(8192, s.maxLength),
    pad_token_id: 0,
  }),
};

export { parseModernBertConfig, type ModernBertConfig, type LayerType } from './config.js';
