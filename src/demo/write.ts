// Writes the demo dataset (IMDB layout: review,sentiment) and its tokenizer files.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { generateDemoSplits, DEMO_MAX_LENGTH, DEMO_SIZES, type Review } from './reviews.js';
import { demoTokenizerJson, demoVocab } from './vocab.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';

export function toCsv(rows: Review[]): string {
  return ['review,sentiment', ...rows.map((r) => `${csvField(r.review)},${csvField(r.sentiment)}`)].join('\n') + '\n';
}

export interface DemoFiles {
  train: string;
  valid: string;
  test: string;
}

/** train.csv, valid.csv, test.csv (2000/300/300 rows by default) in `dir`. */
export async function writeDemoDataset(
  dir: string,
  seed = 42,
  sizes: { train: number; valid: number; test: number } = DEMO_SIZES,
): Promise<DemoFiles> {
  await fs.mkdir(dir, { recursive: true });
  const splits = generateDemoSplits(seed, sizes);
  const files = {
    train: path.join(dir, 'train.csv'),
    valid: path.join(dir, 'valid.csv'),
    test: path.join(dir, 'test.csv'),
  };
  for (const k of ['train', 'valid', 'test'] as const) writeFileAtomic(files[k], toCsv(splits[k]));
  return files;
}

/** vocab.txt, tokenizer.json and tokenizer_config.json for the demo model dir. */
export async function writeDemoTokenizer(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'vocab.txt'), demoVocab().join('\n') + '\n');
  writeJsonAtomic(path.join(dir, 'tokenizer.json'), demoTokenizerJson());
  writeJsonAtomic(path.join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: DEMO_MAX_LENGTH,
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
  });
}
