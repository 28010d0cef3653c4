// Builds the tokenizer.json that transformers' BertTokenizerFast conversion (BertConverter) writes
// for a vocab.txt, so a model dir with only vocab.txt tokenizes exactly like the hub's tokenizer.json.
import { TokenizerError } from './errors.js';

export interface BertVocabOptions {
  doLowerCase: boolean;
  /** null: strip accents iff lowercasing (BertNormalizer's default). */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
  unkToken: string;
  sepToken: string;
  padToken: string;
  clsToken: string;
  maskToken: string;
}

export const BERT_DEFAULTS: BertVocabOptions = {
  doLowerCase: true,
  stripAccents: null,
  tokenizeChineseChars: true,
  unkToken: '[UNK]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  clsToken: '[CLS]',
  maskToken: '[MASK]',
};

/** vocab.txt lines -> tokens (line index = id), as BertTokenizer's load_vocab reads them. */
export function parseVocabTxt(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const tokenName = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
      ? (v as { content: string }).content
      : undefined;

/** Reads the BertTokenizer options a tokenizer_config.json may set (special tokens may be AddedToken objects). */
export function bertOptionsFromConfig(config: Record<string, unknown>): BertVocabOptions {
  const o = { ...BERT_DEFAULTS };
  if (typeof config.do_lower_case === 'boolean') o.doLowerCase = config.do_lower_case;
  if (typeof config.strip_accents === 'boolean' || config.strip_accents === null)
    o.stripAccents = config.strip_accents as boolean | null;
  if (typeof config.tokenize_chinese_chars === 'boolean') o.tokenizeChineseChars = config.tokenize_chinese_chars;
  o.unkToken = tokenName(config.unk_token) ?? o.unkToken;
  o.sepToken = tokenName(config.sep_token) ?? o.sepToken;
  o.padToken = tokenName(config.pad_token) ?? o.padToken;
  o.clsToken = tokenName(config.cls_token) ?? o.clsToken;
  o.maskToken = tokenName(config.mask_token) ?? o.maskToken;
  return o;
}

/** The tokenizer.json object for a WordPiece vocab; `where` names the vocab file in errors. */
export function bertTokenizerJson(vocab: string[], opts: BertVocabOptions, where: string): Record<string, unknown> {
  const ids = new Map<string, number>();
  vocab.forEach((t, i) => ids.set(t, i)); // later duplicates win, as in load_vocab
  const need = (tok: string, role: string): number => {
    const id = ids.get(tok);
    if (id === undefined)
      throw new TokenizerError(
        `${where}: the ${role} token ${tok} is not in the vocabulary; add it as a line of vocab.txt or set ${role}_token in tokenizer_config.json`,
      );
    return id;
  };
  const cls = need(opts.clsToken, 'cls');
  const sep = need(opts.sepToken, 'sep');
  need(opts.unkToken, 'unk');
  need(opts.padToken, 'pad');
  // transformers registers every special token as an added token; the saved list is sorted by id.
  const specials = [opts.unkToken, opts.sepToken, opts.padToken, opts.clsToken, opts.maskToken].filter((t) =>
    ids.has(t),
  );
  const added = [...new Set(specials)]
    .map((t) => ({
      id: ids.get(t)!,
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((x, y) => x.id - y.id);
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: opts.tokenizeChineseChars,
      strip_accents: opts.stripAccents,
      lowercase: opts.doLowerCase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(opts.clsToken, 0), seq('A', 0), special(opts.sepToken, 0)],
      pair: [special(opts.clsToken, 0), seq('A', 0), special(opts.sepToken, 0), seq('B', 1), special(opts.sepToken, 1)],
      special_tokens: {
        [opts.clsToken]: { id: opts.clsToken, ids: [cls], tokens: [opts.clsToken] },
        [opts.sepToken]: { id: opts.sepToken, ids: [sep], tokens: [opts.sepToken] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: opts.unkToken,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(ids),
    },
  };
}
