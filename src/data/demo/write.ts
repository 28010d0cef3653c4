// Writes the demo dataset (IMDB layout: review,sentiment) and its tokenizer files.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { generateDemoSplits, DEMO_MAX_LENGTH, DEMO_SIZES, type Review } from './reviews.js';
import { demoTokenizerJson, demoVocab } from './vocab.js';

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function toCsv(rows: Review[]): string {
  return ['review,sentiment', ...rows.map((r) => `${field(r.review)},${field(r.sentiment)}`)].join('\n') + '\n';
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

export interface DemoFiles {
  train: string;
  valid: string;
  test: string;
}

/** train.csv, valid.csv, test.csv (2000/300/300 rows by default) in `dir`. */
export async function writeDemoDataset(dir: string, seed = 42, sizes = DEMO_SIZES): Promise<DemoFiles> {
  await fs.mkdir(dir, { recursive: true });
  const splits = generateDemoSplits(seed, sizes);
  const files = { train: path.join(dir, 'train.csv'), valid: path.join(dir, 'valid.csv'), test: path.join(dir, 'test.csv') };
  for (const k of ['train', 'valid', 'test'] as const) await writeAtomic(files[k], toCsv(splits[k]));
  return files;
}

/** vocab.txt, tokenizer.json and tokenizer_config.json for the demo model dir. */
export async function writeDemoTokenizer(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'vocab.txt'), demoVocab().join('\n') + '\n');
  await writeAtomic(path.join(dir, 'tokenizer.json'), JSON.stringify(demoTokenizerJson(), null, 2) + '\n');
  await writeAtomic(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: DEMO_MAX_LENGTH,
    unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]',
  }, null, 2) + '\n');
}
