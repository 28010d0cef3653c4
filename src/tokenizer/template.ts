// Special-token templates read from tokenizer.json's post_processor, so that truncation can happen
// before [CLS]/[SEP] are added (as the Rust library does) and token type ids come out right.
import { TokenizerError } from './errors.js';

/** One template piece: a special token's ids, or a slot for sequence A/B, each with its type id. */
export type Piece = { kind: 'special'; ids: number[]; typeId: number } | { kind: 'seq'; which: 0 | 1; typeId: number };

export interface Templates {
  single: Piece[];
  pair: Piece[];
}

type Json = Record<string, unknown>;

export function specialCount(pieces: Piece[]): number {
  return pieces.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0);
}

function fromTemplate(pp: Json, where: string): Templates {
  const specials = (pp.special_tokens ?? {}) as Record<string, { ids: number[] }>;
  const convert = (items: unknown): Piece[] =>
    (items as Json[]).map((item) => {
      if ('SpecialToken' in item) {
        const s = item.SpecialToken as { id: string; type_id: number };
        const ids = specials[s.id]?.ids;
        if (!ids)
          throw new TokenizerError(
            `${where}: post_processor template uses ${s.id} but special_tokens does not define it; add it to post_processor.special_tokens`,
          );
        return { kind: 'special', ids, typeId: s.type_id };
      }
      const q = item.Sequence as { id: 'A' | 'B'; type_id: number };
      return { kind: 'seq', which: q.id === 'A' ? 0 : 1, typeId: q.type_id };
    });
  return { single: convert(pp.single), pair: convert(pp.pair) };
}

/**
 * Templates for the post_processor types encoder tokenizer.json files use: TemplateProcessing (BERT,
 * DistilBERT, XLM-R, ModernBERT), BertProcessing, RobertaProcessing (RoBERTa: <s> A </s></s> B </s>,
 * all type ids 0, as the Rust library assigns them), and a Sequence of those with ByteLevel (which
 * only adjusts offsets).
 */
export function templatesFor(postProcessor: unknown, where: string): Templates {
  const none: Templates = {
    single: [{ kind: 'seq', which: 0, typeId: 0 }],
    pair: [
      { kind: 'seq', which: 0, typeId: 0 },
      { kind: 'seq', which: 1, typeId: 1 },
    ],
  };
  if (postProcessor === null || postProcessor === undefined) return none;
  const pp = postProcessor as Json;
  switch (pp.type) {
    case 'TemplateProcessing':
      return fromTemplate(pp, where);
    case 'Sequence': {
      const parts = ((pp.processors ?? []) as Json[]).filter((p) => p && p.type !== 'ByteLevel');
      if (parts.length > 1)
        throw new TokenizerError(
          `${where}: post_processor Sequence has ${parts.length} processors that add tokens; expected one (TemplateProcessing, BertProcessing or RobertaProcessing)`,
        );
      return templatesFor(parts[0] ?? null, where);
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const [, cls] = pp.cls as [string, number];
      const [, sep] = pp.sep as [string, number];
      const s = (id: number, typeId: number): Piece => ({ kind: 'special', ids: [id], typeId });
      const a: Piece = { kind: 'seq', which: 0, typeId: 0 };
      if (pp.type === 'BertProcessing') {
        return {
          single: [s(cls, 0), a, s(sep, 0)],
          pair: [s(cls, 0), a, s(sep, 0), { kind: 'seq', which: 1, typeId: 1 }, s(sep, 1)],
        };
      }
      return {
        single: [s(cls, 0), a, s(sep, 0)],
        pair: [s(cls, 0), a, s(sep, 0), s(sep, 0), { kind: 'seq', which: 1, typeId: 0 }, s(sep, 0)],
      };
    }
    default:
      throw new TokenizerError(
        `${where}: post_processor type ${String(pp.type)} is not supported; use a tokenizer.json whose post_processor is TemplateProcessing, BertProcessing or RobertaProcessing`,
      );
  }
}
