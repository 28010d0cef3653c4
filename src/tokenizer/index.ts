export { TokenizerError } from './errors.js';
export { TextTokenizer, type Encoded } from './text-tokenizer.js';
export { loadTokenizer, saveTokenizer } from './load.js';
export {
  bertTokenizerJson,
  bertOptionsFromConfig,
  parseVocabTxt,
  BERT_DEFAULTS,
  type BertVocabOptions,
} from './bert-json.js';
export { longestFirstLengths } from './truncate.js';
export { encodeExamples } from './encode.js';
