// BERT as the encoder frame's parts: the base set the other families spread and override
// (`{ ...bertParts, embeddings: ..., head: ... }`), and BertModel, BERT's classifier.
import { encoderCheckpointConfig, wordPieceTokenizerConfig } from '../family-common.js';
import { initEncoderParam } from '../encoder-init.js';
import { EncoderClassifier, type EncoderParts } from '../encoder.js';
import type { ModelOptions } from '../family.js';
import type { BertConfig } from './config.js';
import { BertEmbeddings, BertLayer, BertPoolerHead } from './graph.js';
import { bertKeys } from './keys.js';

export const bertParts: EncoderParts<BertConfig> = {
  architecture: () => 'BertForSequenceClassification',
  keys: bertKeys,
  base: 'bert',
  dropouts: (c) => ({
    embeddings: c.hiddenDropout,
    attention: c.attentionDropout,
    hidden: c.hiddenDropout,
    classifier: c.classifierDropout,
  }),
  tokenTypes: (c) => ({ typeVocabSize: c.typeVocabSize, feed: true }),
  embeddings: (s, c) => new BertEmbeddings(s, c),
  layer: (base, c, i) => new BertLayer(base.child('encoder').child('layer').child(i), c),
  context: (_e, ctx) => ctx,
  head: (root, base, c, numLabels) => new BertPoolerHead(root, base, c, numLabels),
  // _init_weights: Linear and Embedding weights normal(0, initializer_range) (the word table's pad
  // row 0), biases 0, norms 1.
  init: (spec, seed, c) =>
    initEncoderParam(spec, seed, {
      std: c.initializerRange,
      zeroRows: spec.name.endsWith('word_embeddings.weight') ? [c.padTokenId] : [],
    }),
  checkpointConfig: encoderCheckpointConfig,
  tokenizerConfig: (c, o) => wordPieceTokenizerConfig('BertTokenizer', o, c.maxPositions),
};

export class BertModel extends EncoderClassifier<BertConfig> {
  constructor(config: BertConfig, numLabels: number, opts: ModelOptions = {}) {
    super(bertParts, config, numLabels, opts);
  }
}
