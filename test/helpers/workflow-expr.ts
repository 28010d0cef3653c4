// `${{ ... }}` in a workflow value, evaluated as the runner does, with GitHub's own expression
// evaluator (@actions/expressions, which @actions/workflow-parser is built on): a test that fills
// an example's `with:` from a matrix entry gets what the runner would pass, `||`, `&&`, format()
// and toJSON() included.
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';

/** The contexts a step's `with:` may read; those not given are empty (their values null). */
const CONTEXTS = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
];

/** `value` with every `${{ expr }}` replaced by its value as a string (null: empty) in `contexts`. */
export function evaluateValue(value: string, contexts: Record<string, unknown>): string {
  const ctx = new data.Dictionary();
  for (const name of CONTEXTS) ctx.add(name, JSON.parse(JSON.stringify(contexts[name] ?? {}), data.reviver));
  return value.replace(/\$\{\{(.*?)\}\}/gs, (_, expr: string) => {
    const lexed = new Lexer(expr.trim()).lex();
    const parsed = new Parser(lexed.tokens, CONTEXTS, []).parse();
    const result = new Evaluator(parsed, ctx).evaluate();
    return result.kind === data.Kind.Null ? '' : result.coerceString();
  });
}
