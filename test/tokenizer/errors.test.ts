// User errors: messages name the file and say what to do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer, TokenizerError } from '../../src/tokenizer/index.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'tok-err-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'good', 'bad', '##ly'];

test('missing tokenizer files: lists what the dir has', async () => {
  writeFileSync(path.join(dir, 'config.json'), '{}');
  writeFileSync(path.join(dir, 'model.safetensors'), '');
  const err = await loadTokenizer(dir).catch((e) => e);
  expect(err).toBeInstanceOf(TokenizerError);
  expect(err.message).toContain('expected tokenizer.json or vocab.txt');
  expect(err.message).toContain('found config.json, model.safetensors');
});

test('model dir that does not exist', async () => {
  const err = await loadTokenizer(path.join(dir, 'nope')).catch((e) => e);
  expect(err).toBeInstanceOf(TokenizerError);
  expect(err.message).toMatch(/nope cannot be read \(ENOENT\)/);
});

test.each([
  ['[CLS]', 'cls'],
  ['[SEP]', 'sep'],
  ['[PAD]', 'pad'],
  ['[UNK]', 'unk'],
])('vocab.txt without %s names the token and the file', async (tok, role) => {
  writeFileSync(path.join(dir, 'vocab.txt'), SMALL.filter((t) => t !== tok).join('\n'));
  const err = await loadTokenizer(dir).catch((e) => e);
  expect(err).toBeInstanceOf(TokenizerError);
  expect(err.message).toContain(path.join(dir, 'vocab.txt'));
  expect(err.message).toContain(`${role} token ${tok} is not in the vocabulary`);
});

test('tokenizer_config.json special tokens (AddedToken objects) are honoured', async () => {
  writeFileSync(path.join(dir, 'vocab.txt'), ['<pad>', '<unk>', '<s>', '</s>', 'good'].join('\n'));
  writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      pad_token: { content: '<pad>' },
      unk_token: '<unk>',
      cls_token: '<s>',
      sep_token: '</s>',
    }),
  );
  const tok = await loadTokenizer(dir);
  expect(tok.padId).toBe(0);
  expect(tok.encode('good GOOD', 'bad', 16)).toEqual({ ids: [2, 4, 4, 3, 1, 3], typeIds: [0, 0, 0, 0, 1, 1] });
});

test('tokenizer.json whose pad token is unknown', async () => {
  writeFileSync(path.join(dir, 'vocab.txt'), SMALL.join('\n'));
  const ok = await loadTokenizer(dir);
  const other = mkdtempSync(path.join(os.tmpdir(), 'tok-err2-'));
  try {
    writeFileSync(path.join(other, 'tokenizer.json'), JSON.stringify(ok.json));
    writeFileSync(path.join(other, 'tokenizer_config.json'), JSON.stringify({ pad_token: '<pad>' }));
    const err = await loadTokenizer(other).catch((e) => e);
    expect(err).toBeInstanceOf(TokenizerError);
    expect(err.message).toContain(path.join(other, 'tokenizer.json'));
    expect(err.message).toContain('pad token <pad> is not in the vocabulary');
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test('broken tokenizer.json is a typed error naming the file', async () => {
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
  const err = await loadTokenizer(dir).catch((e) => e);
  expect(err).toBeInstanceOf(TokenizerError);
  expect(err.message).toContain(`${path.join(dir, 'tokenizer.json')}: invalid JSON`);
});
