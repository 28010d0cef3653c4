// Typed reads of a config.json with Hugging Face's defaults for absent keys: every problem is a
// ModelError that names the file, the key, what it holds and what it should hold. Shared by every
// family (BERT and those derived from it read BERT's keys through bert/config.ts).
import { ModelError } from './errors.js';

export class ConfigReader {
  readonly c: Record<string, unknown>;

  constructor(
    json: unknown,
    readonly file: string,
    /** The family's name for messages ("a RoBERTa config needs it"). */
    private readonly family: string,
  ) {
    if (!json || typeof json !== 'object' || Array.isArray(json))
      throw new ModelError(file, `${file}: expected a JSON object`);
    this.c = json as Record<string, unknown>;
  }

  error(message: string): ModelError {
    return new ModelError(this.file, `${this.file}: ${message}`);
  }

  private bad(key: string, want: string): ModelError {
    return this.error(`"${key}" is ${JSON.stringify(this.c[key])}; expected ${want}`);
  }

  /** The key's value, or the default when the key is absent or null (as HF's config classes read them). */
  private value(key: string, dflt: unknown): unknown {
    const v = this.c[key];
    return v === undefined || v === null ? dflt : v;
  }

  int(key: string, dflt?: number, min = 1): number {
    const v = this.value(key, dflt);
    if (v === undefined) throw this.error(`"${key}" is missing (a ${this.family} config needs it)`);
    if (!Number.isSafeInteger(v) || (v as number) < min) throw this.bad(key, `an integer >= ${min}`);
    return v as number;
  }

  /** A number in [lo, hi] ((lo, hi] when `open`). */
  num(key: string, dflt: number, lo: number, hi: number, open = false): number {
    const v = this.value(key, dflt);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo))
      throw this.bad(key, `a number in ${open ? '(' : '['}${lo}, ${hi}]`);
    return v;
  }

  /** A probability that may be null (HF: "use another rate"): undefined then. */
  optionalRate(key: string): number | undefined {
    if (this.c[key] === undefined || this.c[key] === null) return undefined;
    return this.num(key, 0, 0, 0.95);
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.value(key, dflt);
    if (typeof v !== 'boolean') throw this.bad(key, 'true or false');
    return v;
  }

  /** One of `allowed`; `why` says what choosing another would need. */
  oneOf<T extends string>(key: string, dflt: T, allowed: readonly T[], why = ''): T {
    const v = this.value(key, dflt);
    if (typeof v !== 'string' || !allowed.includes(v as T))
      throw this.bad(key, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}${why ? ` (${why})` : ''}`);
    return v as T;
  }

  /** A token id (pad_token_id ...) that must index the vocabulary. */
  tokenId(key: string, dflt: number, vocabSize: number): number {
    const id = this.int(key, dflt, 0);
    if (id >= vocabSize)
      throw this.error(`"${key}" is ${id}, outside the vocabulary (vocab_size ${vocabSize}); fix ${key} or vocab_size`);
    return id;
  }

  /** hidden_size divisible by the head count. */
  heads(
    hiddenKey: string,
    headsKey: string,
    dflt: { hidden: number; heads: number },
  ): { hidden: number; heads: number } {
    const hidden = this.int(hiddenKey, dflt.hidden);
    const heads = this.int(headsKey, dflt.heads);
    if (hidden % heads !== 0) throw this.error(`${hiddenKey} ${hidden} is not a multiple of ${headsKey} ${heads}`);
    return { hidden, heads };
  }

  /** id2label / label2id as HF writes them, when present. */
  labels(): { id2label?: Record<string, string>; label2id?: Record<string, number> } {
    const c = this.c;
    const out: { id2label?: Record<string, string>; label2id?: Record<string, number> } = {};
    if (c.id2label !== undefined) {
      if (!c.id2label || typeof c.id2label !== 'object' || Object.values(c.id2label).some((v) => typeof v !== 'string'))
        throw this.bad('id2label', 'an object mapping ids to label names');
      out.id2label = c.id2label as Record<string, string>;
    }
    if (c.label2id !== undefined) {
      if (!c.label2id || typeof c.label2id !== 'object' || Object.values(c.label2id).some((v) => !Number.isInteger(v)))
        throw this.bad('label2id', 'an object mapping label names to ids');
      out.label2id = c.label2id as Record<string, number>;
    }
    return out;
  }
}
