// Encodes text (or text pairs) to ids with truncation, on top of @huggingface/tokenizers. That
// library has no truncation, so each side is encoded without special tokens, truncated like the
// Rust library (`longest_first`, budget = max_length minus the template's special tokens), and the
// post_processor template then adds [CLS]/[SEP] and the token type ids.
import { Tokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from './errors.js';
import {
  normalizeAroundAddedTokens,
  rawAddedTokens,
  splitPrecompiled,
  type PrecompiledCharsmap,
} from './precompiled.js';
import { longestFirstLengths } from './truncate.js';
import { specialCount, templatesFor, type Piece, type Templates } from './template.js';

export interface Encoded {
  ids: number[];
  typeIds: number[];
}

const tokenName = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
      ? (v as { content: string }).content
      : undefined;

/** Pad tokens of the BERT family (WordPiece), RoBERTa / XLM-R (<pad>) and others, in that order. */
const PAD_TOKENS = ['[PAD]', '<pad>', '<|pad|>', '<|padding|>'];

export class TextTokenizer {
  readonly padId: number;
  readonly padToken: string;
  /** Ids are < vocabSize (added tokens included). */
  readonly vocabSize: number;
  private readonly lib: Tokenizer;
  private readonly templates: Templates;
  /** SentencePiece's charsmap normalizer, applied here (the library only approximates it). */
  private readonly precompiled?: { charsmap: PrecompiledCharsmap; added: RegExp | null };

  /**
   * @param json parsed tokenizer.json; @param config parsed tokenizer_config.json (or {});
   * @param where the file name used in error messages.
   */
  constructor(
    readonly json: Record<string, unknown>,
    readonly config: Record<string, unknown>,
    where: string,
  ) {
    const split = splitPrecompiled(json, where);
    if (split) this.precompiled = { charsmap: split.charsmap, added: rawAddedTokens(json) };
    try {
      this.lib = new Tokenizer(split?.rest ?? json, config);
    } catch (e) {
      throw new TokenizerError(
        `${where}: cannot load tokenizer: ${(e as Error).message}; the file must be a Hugging Face tokenizer.json`,
      );
    }
    this.templates = templatesFor(json.post_processor, where);
    const vocab = this.lib.get_vocab(true);
    let max = -1;
    for (const id of vocab.values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    for (const p of [...this.templates.single, ...this.templates.pair]) {
      if (p.kind === 'special' && p.ids.some((id) => id < 0 || id > max)) {
        throw new TokenizerError(
          `${where}: post_processor special token ids ${p.ids.join(',')} are outside the vocabulary (size ${this.vocabSize})`,
        );
      }
    }
    const padding = json.padding as { pad_token?: string } | null | undefined;
    // Without tokenizer_config.json or a padding section: the pad token the model families use.
    this.padToken =
      tokenName(config.pad_token) ??
      padding?.pad_token ??
      PAD_TOKENS.find((t) => this.lib.token_to_id(t) !== undefined) ??
      PAD_TOKENS[0];
    const padId = this.lib.token_to_id(this.padToken);
    if (padId === undefined) {
      throw new TokenizerError(
        `${where}: pad token ${this.padToken} is not in the vocabulary; set pad_token in tokenizer_config.json to a token the vocabulary has (none of ${PAD_TOKENS.join(' ')} is in it)`,
      );
    }
    this.padId = padId;
  }

  /** Ids of one text without special tokens and without truncation. */
  rawIds(text: string): number[] {
    if (text.length === 0) return [];
    const p = this.precompiled;
    const input = p ? normalizeAroundAddedTokens(text, p.charsmap, p.added) : text;
    return this.lib.encode(input, { add_special_tokens: false }).ids;
  }

  /** Number of special tokens the template adds for a single text or a pair. */
  specialTokens(pair: boolean): number {
    return specialCount(pair ? this.templates.pair : this.templates.single);
  }

  /** [CLS] a [SEP] (b [SEP]) truncated to at most maxLength tokens in total. */
  encode(text: string, pair: string | undefined, maxLength: number): Encoded {
    const isPair = pair !== undefined;
    const a = this.rawIds(text);
    const b = isPair ? this.rawIds(pair) : [];
    const budget = Math.max(0, maxLength - this.specialTokens(isPair));
    const [na, nb] = isPair ? longestFirstLengths(a.length, b.length, budget) : [Math.min(a.length, budget), 0];
    return this.assemble(isPair ? this.templates.pair : this.templates.single, [a.slice(0, na), b.slice(0, nb)]);
  }

  token(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }

  private assemble(pieces: Piece[], seqs: [number[], number[]]): Encoded {
    const ids: number[] = [];
    const typeIds: number[] = [];
    for (const p of pieces) {
      const part = p.kind === 'special' ? p.ids : seqs[p.which];
      for (const id of part) {
        ids.push(id);
        typeIds.push(p.typeId);
      }
    }
    return { ids, typeIds };
  }
}
