export {
  generateDemoSplits,
  DEMO_MAX_LENGTH,
  DEMO_SIZES,
  type Review,
  type Sentiment,
  type DemoSplits,
} from './reviews.js';
export { demoVocab, demoTokenizerJson, demoWords } from './vocab.js';
export { writeDemoDataset, writeDemoTokenizer, toCsv, type DemoFiles } from './write.js';
export * as demoWordLists from './words.js';
export { demoBertConfig, DEMO_FLAGS } from './recipe.js';
