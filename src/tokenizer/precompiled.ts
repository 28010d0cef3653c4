// SentencePiece's Precompiled normalizer (the `precompiled_charsmap` of XLM-R, ALBERT, T5, mBART
// ... tokenizer.json files), as the Hugging Face Rust library applies it: a double-array trie
// (darts-clone layout) from UTF-8 byte sequences to replacement strings, tried on each extended
// grapheme cluster shorter than 6 bytes, else on each of its characters. @huggingface/tokenizers
// ignores the charsmap and approximates it with NFKC, which differs for ~160 code points (U+200D
// ZERO WIDTH JOINER in emoji sequences among them) and for some grapheme clusters, so ids would not
// be those of the Python tokenizer the checkpoint was made with.
import { TokenizerError } from './errors.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  /** Replacement of a chunk, by chunk (a chunk is a grapheme or a character). */
  private readonly cache = new Map<string, string | null>();

  /** @param charsmap the raw bytes (tokenizer.json has them base64-encoded); @param where names the file. */
  constructor(charsmap: Uint8Array, where: string) {
    const bad = (why: string) =>
      new TokenizerError(
        `${where}: precompiled_charsmap is not a SentencePiece charsmap (${why}); replace the file with the model's original tokenizer.json`,
      );
    if (charsmap.length < 4) throw bad('shorter than its header');
    const view = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > charsmap.length) throw bad(`trie size ${trieBytes}`);
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = charsmap.subarray(4 + trieBytes);
  }

  static fromBase64(b64: string, where: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(Uint8Array.from(Buffer.from(b64, 'base64')), where);
  }

  /** Offsets into the replacement table of every trie key that is a prefix of `key`, shortest first. */
  private commonPrefixSearch(key: Uint8Array): number[] {
    const u = this.units;
    const offset = (unit: number) => (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    const results: number[] = [];
    let pos = offset(u[0]);
    for (const c of key) {
      if (c === 0) break;
      pos ^= c;
      const unit = u[pos];
      if (unit === undefined || (unit & ((1 << 31) | 0xff)) >>> 0 !== c) return results;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) results.push(u[pos] & 0x7fffffff);
    }
    return results;
  }

  /** The replacement of `chunk`: its first trie match's string (up to a NUL), or null when none. */
  private transform(chunk: string): string | null {
    const hit = this.cache.get(chunk);
    if (hit !== undefined) return hit;
    const found = this.commonPrefixSearch(utf8.encode(chunk));
    let out: string | null = null;
    if (found.length > 0) {
      const start = found[0];
      let end = start;
      while (end < this.normalized.length && this.normalized[end] !== 0) end++;
      out = utf8Decoder.decode(this.normalized.subarray(start, end));
    }
    this.cache.set(chunk, out);
    return out;
  }

  /** Printable ASCII maps to itself (true of SentencePiece's rule sets; checked once). */
  private asciiIdentity?: boolean;

  /**
   * Runs of printable ASCII are copied as they are (when the charsmap leaves them alone): the run's
   * first and last characters go with the neighbouring text, so clusters are cut where they are in
   * the whole text (printable ASCII next to printable ASCII is always a cluster boundary).
   */
  normalize(text: string): string {
    this.asciiIdentity ??= Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).every((c) => {
      const t = this.transform(c);
      return t === null || t === c;
    });
    if (!this.asciiIdentity) return this.normalizeClusters(text);
    let out = '';
    let at = 0;
    for (const m of text.matchAll(/[\x20-\x7e]{3,}/g)) {
      const start = m.index + 1,
        end = m.index + m[0].length - 1;
      out += this.normalizeClusters(text.slice(at, start)) + text.slice(start, end);
      at = end;
    }
    return out + this.normalizeClusters(text.slice(at));
  }

  private normalizeClusters(text: string): string {
    let out = '';
    for (const { segment } of this.segmenter.segment(text)) {
      if (utf8.encode(segment).length < 6) {
        const whole = this.transform(segment);
        if (whole !== null) {
          out += whole;
          continue;
        }
      }
      for (const ch of segment) out += this.transform(ch) ?? ch;
    }
    return out;
  }
}

type Json = Record<string, unknown>;

/**
 * A tokenizer.json whose normalizer starts with Precompiled (SentencePiece conversions put it first):
 * the charsmap, and the JSON without it for the library, which then runs the rest of the normalizer.
 * Undefined when there is none (or it is not first: the library's approximation applies then).
 */
export function splitPrecompiled(json: Json, where: string): { charsmap: PrecompiledCharsmap; rest: Json } | undefined {
  const n = json.normalizer as Json | null | undefined;
  if (!n) return undefined;
  const list = n.type === 'Sequence' ? ((n.normalizers ?? []) as Json[]) : [n];
  const first = list[0];
  if (!first || first.type !== 'Precompiled' || typeof first.precompiled_charsmap !== 'string') return undefined;
  const others = list.slice(1);
  const normalizer = others.length === 0 ? null : n.type === 'Sequence' ? { ...n, normalizers: others } : null;
  return {
    charsmap: PrecompiledCharsmap.fromBase64(first.precompiled_charsmap, where),
    rest: { ...json, normalizer },
  };
}

/**
 * Normalizes `text` outside the added tokens (<s>, <mask> ...) that match the raw text, as the Rust
 * library splits them off before normalizing.
 */
export function normalizeAroundAddedTokens(text: string, charsmap: PrecompiledCharsmap, added: RegExp | null): string {
  if (!added) return charsmap.normalize(text);
  let out = '';
  let at = 0;
  for (const m of text.matchAll(added)) {
    out += charsmap.normalize(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + charsmap.normalize(text.slice(at));
}

/** Added tokens matched on the raw text (normalized: false), longest first, as one regex. */
export function rawAddedTokens(json: Json): RegExp | null {
  const tokens = ((json.added_tokens ?? []) as Json[])
    .filter((t) => t.normalized === false && typeof t.content === 'string' && t.content.length > 0)
    .map((t) => t.content as string)
    .sort((a, b) => b.length - a.length);
  if (tokens.length === 0) return null;
  return new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}
