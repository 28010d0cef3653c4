// Finds the tokenizer in a model dir: tokenizer.json (+ tokenizer_config.json), else vocab.txt, from
// which the BertTokenizerFast tokenizer.json is built. Checkpoints get the tokenizer.json written out.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TokenizerError } from './errors.js';
import { bertOptionsFromConfig, bertTokenizerJson, parseVocabTxt } from './bert-json.js';
import { TextTokenizer } from './text-tokenizer.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/json-file.js';

function readJson(file: string): Record<string, unknown> {
  const hint = "; replace it with the model's original file";
  const v = readJsonFile(file, (m) => new TokenizerError(m), hint);
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new TokenizerError(`${file}: invalid JSON (not a JSON object)${hint}`);
  return v as Record<string, unknown>;
}

/** Loads the tokenizer of a local model directory. */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  let entries: string[];
  try {
    entries = await fs.readdir(modelDir);
  } catch (e) {
    throw new TokenizerError(
      `model directory ${modelDir} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a directory with tokenizer.json or vocab.txt`,
    );
  }
  const configFile = path.join(modelDir, 'tokenizer_config.json');
  const config = entries.includes('tokenizer_config.json') ? readJson(configFile) : {};
  const jsonFile = path.join(modelDir, 'tokenizer.json');
  if (entries.includes('tokenizer.json')) return new TextTokenizer(readJson(jsonFile), config, jsonFile);
  const vocabFile = path.join(modelDir, 'vocab.txt');
  if (entries.includes('vocab.txt')) {
    const vocab = parseVocabTxt(await fs.readFile(vocabFile, 'utf8'));
    const json = bertTokenizerJson(vocab, bertOptionsFromConfig(config), vocabFile);
    return new TextTokenizer(json, config, vocabFile);
  }
  const listing = entries.length ? entries.sort().join(', ') : '(empty)';
  throw new TokenizerError(
    `${modelDir} has no tokenizer: expected tokenizer.json or vocab.txt, found ${listing}; copy the model's tokenizer files into it`,
  );
}

/** The transformers tokenizer class a tokenizer.json of this kind belongs to (when no config names one). */
export function tokenizerClassOf(json: Record<string, unknown>): string {
  const model = (json.model as { type?: string } | undefined)?.type;
  const post = (json.post_processor as { type?: string } | null | undefined)?.type;
  if (model === 'WordPiece') return 'BertTokenizer';
  if (post === 'RobertaProcessing') return 'RobertaTokenizer';
  if (model === 'Unigram') return 'XLMRobertaTokenizer';
  return 'PreTrainedTokenizerFast';
}

/** Writes tokenizer.json (and tokenizer_config.json when known) into a checkpoint dir, atomically. */
export async function saveTokenizer(tok: TextTokenizer, dir: string): Promise<void> {
  writeJsonAtomic(path.join(dir, 'tokenizer.json'), tok.json);
  // transformers.js needs tokenizer_class and pad_token to batch (DESIGN.md).
  writeJsonAtomic(path.join(dir, 'tokenizer_config.json'), {
    tokenizer_class: tokenizerClassOf(tok.json),
    ...tok.config,
    pad_token: tok.padToken,
  });
}
