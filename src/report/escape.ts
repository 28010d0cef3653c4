// Escaping for user strings (labels, file names, flag values, model ids) placed into the run
// report. GitHub renders job summaries and comments as markdown with inline HTML allowed, so a
// label like `<img src=x>` or `a|b` must not become markup or break a table row. Lighter than
// escapeMarkdown (src/util/markdown-safe.ts), so report.md stays readable as a file ('.' and '-'
// stay plain, no truncation); mentions and link targets follow the same rules as PR comments.
import { noMentions, safeUrl } from '../util/markdown-safe.js';

const ENTITY: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '|': '&#124;',
  '#': '&#35;',
};

/**
 * Escapes text for inline markdown (table cells, headings, list items); newlines become spaces.
 * `&` is escaped only where it would start an entity (`&amp;`, `&#35;`): elsewhere it renders as
 * itself, and a query string (`a=1&b=2`) stays byte for byte what the runner's log masking knows.
 */
export function md(text: unknown): string {
  return noMentions(
    String(text)
      .replace(/\r\n|\r|\n/g, ' ')
      .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
      .replace(/[<>"'|#]/g, (c) => ENTITY[c]!)
      .replace(/[\\`*_[\]~$]/g, (c) => '\\' + c),
  );
}

/** A markdown link whose text is escaped and whose target must be an http(s) URL (else plain text). */
export function mdLink(text: string, url: string | undefined): string {
  const safe = safeUrl(url);
  return safe ? `[${md(text)}](${safe})` : md(text);
}
