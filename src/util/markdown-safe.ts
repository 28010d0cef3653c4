// Makes untrusted strings (comment text, flag values, labels, branch names) inert in GitHub
// markdown: no HTML, no links or images, no code spans, no math, no @mentions or team pings.
// PR comments and job summaries use escapeMarkdown; the run report (src/report/escape.ts) keeps a
// lighter escaper for readability of report.md but shares the mention and URL rules below.

const MAX = 200;

/** Escapes `s` for use as plain text in markdown (a paragraph or a table cell). */
export function escapeMarkdown(s: string, max = MAX): string {
  let t = s.length > max ? `${s.slice(0, max)}…` : s;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  t = t.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  t = t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  t = t.replace(/[\\`*_{}[\]()#+\-.!|~$]/g, (c) => `\\${c}`);
  return noMentions(t);
}

/**
 * A zero-width space after @ keeps "@user" readable but stops the mention/notification. (An
 * entity such as `&#64;` does not: GitHub finds mentions in the rendered text, after decoding.)
 * GitHub only mentions at the start of the text or after a non-word character, so `user:pw@host`
 * and `me@example.com` are left as they are (and still match the runner's log masks).
 */
export function noMentions(text: string): string {
  return text.replace(/(^|[^A-Za-z0-9_])@(?=[A-Za-z0-9_-])/g, '$1@\u200b');
}

/** A GitHub login from an event payload; anything outside GitHub's login charset is escaped. */
export function safeLogin(login: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(\[bot\])?$/.test(login) ? login : escapeMarkdown(login, 40);
}

/** Numbers and other values we produced ourselves but that may echo user input (flag values). */
export function escapeValue(v: unknown): string {
  return escapeMarkdown(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
}

/** Keeps a comment below GitHub's 65,536-character limit. */
export function clampComment(body: string, limit = 65_000): string {
  return body.length <= limit ? body : `${body.slice(0, limit)}\n\n_(truncated)_\n`;
}

/** An http(s) URL usable as a markdown link target, or undefined (other schemes, unparsable). */
export function safeUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return url.toString().replace(/[()<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return undefined;
  }
}

/** `[text](url)` with escaped text, or plain escaped text when the URL is not safe. */
export function link(text: string, u: string | undefined): string {
  const safe = safeUrl(u);
  return safe ? `[${escapeMarkdown(text, 120)}](${safe})` : escapeMarkdown(text, 120);
}
