// Escaping for user strings (labels, file names, flag values, model ids) placed into GitHub
// markdown. GitHub renders job summaries and comments as markdown with inline HTML allowed, so a
// label like `<img src=x>` or `a|b` must not become markup or break a table row.

const ENTITY: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  '|': '&#124;', '@': '&#64;', '#': '&#35;',
};

/** Escapes text for inline markdown (table cells, headings, list items); newlines become spaces. */
export function md(text: unknown): string {
  return String(text)
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[&<>"'|@#]/g, (c) => ENTITY[c]!)
    .replace(/[\\`*_[\]~]/g, (c) => '\\' + c);
}

/** A markdown link whose text is escaped and whose target must be an http(s) URL (else plain text). */
export function mdLink(text: string, url: string | undefined): string {
  if (!url || !/^https?:\/\//i.test(url)) return md(text);
  const safe = encodeURI(decodeURIComponentSafe(url)).replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'));
  return `[${md(text)}](${safe})`;
}

function decodeURIComponentSafe(u: string): string {
  try { return decodeURI(u); } catch { return u; }
}
