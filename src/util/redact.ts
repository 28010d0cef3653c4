// The one place that decides what of a URL or a flag may be shown. Every sink (logs, error
// messages, report.md, the job summary, metrics.json, trainer_state.json) goes through it:
// credentials in a URL's userinfo and the values of query parameters are secrets until known
// harmless (presigned S3/GCS/Azure URLs carry their signature there); scheme, host and path stay
// readable so the user can still tell which file was meant.

/** Shown instead of a secret. Plain ASCII: survives markdown escaping and JSON unchanged. */
export const REDACTED = '***';

/**
 * Query parameters whose values are not secrets: the parts of presigned S3/GCS/Azure URLs that
 * say when and how they were signed, and common download switches. Every other value is redacted
 * (a parameter name says little: `k=...`, `sig=...`, `X-Amz-Signature=...`, `token=...`).
 */
const HARMLESS_PARAMS = new Set(
  [
    'x-amz-algorithm',
    'x-amz-date',
    'x-amz-expires',
    'x-amz-signedheaders',
    'x-goog-algorithm',
    'x-goog-date',
    'x-goog-expires',
    'x-goog-signedheaders',
    'expires',
    'sv', // Azure SAS: service version, start/expiry times, permissions, resource, protocol
    'st',
    'se',
    'sp',
    'sr',
    'spr',
    'alt',
    'dl',
    'raw',
    'download',
    'format',
    'version',
    'v',
    'ref',
    'revision',
  ].map((p) => p.toLowerCase()),
);

interface QueryPart {
  /** As written in the URL (percent-encoded). */
  rawName: string;
  rawValue: string | undefined;
  secret: boolean;
}

function queryParts(search: string): QueryPart[] {
  if (!search || search === '?') return [];
  return search
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq >= 0 ? pair.slice(0, eq) : pair;
      const rawValue = eq >= 0 ? pair.slice(eq + 1) : undefined;
      const name = safeDecode(rawName).toLowerCase();
      return { rawName, rawValue, secret: rawValue !== undefined && rawValue !== '' && !HARMLESS_PARAMS.has(name) };
    });
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * `url` with its userinfo and secret query values replaced by `***`:
 * `https://user:pw@host/d.zip?X-Amz-Date=20250101&X-Amz-Signature=abc` ->
 * `https://***@host/d.zip?X-Amz-Date=20250101&X-Amz-Signature=***`. The fragment is dropped (it
 * never reaches the server, and some services keep keys there). Not a URL: `<invalid URL>`.
 */
export function redactUrl(url: string): string {
  const u = parse(url);
  if (!u) return '<invalid URL>';
  const auth = u.username || u.password ? `${REDACTED}@` : '';
  const parts = queryParts(u.search);
  const query = parts.length
    ? '?' +
      parts
        .map((p) => (p.rawValue === undefined ? p.rawName : `${p.rawName}=${p.secret ? REDACTED : p.rawValue}`))
        .join('&')
    : '';
  const slashes = u.href.startsWith(`${u.protocol}//`) ? '//' : '';
  return `${u.protocol}${slashes}${auth}${u.host}${u.pathname}${query}`;
}

/**
 * The literal secret parts of `url` (user name, password and secret query values, each as written
 * and percent-decoded): what the runner must mask, and what must not survive in any text that may
 * quote the URL's path (HTTP client errors do: `Request timeout: /d.zip?sig=...`).
 */
export function urlSecrets(url: string): string[] {
  const u = parse(url);
  if (!u) return [];
  const out = new Set<string>();
  for (const raw of [u.username, u.password]) {
    if (raw) {
      out.add(raw);
      out.add(safeDecode(raw));
    }
  }
  for (const p of queryParts(u.search)) {
    if (p.secret && p.rawValue) {
      out.add(p.rawValue);
      out.add(safeDecode(p.rawValue));
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/**
 * `text` with every http(s) URL in it redacted, and every secret part of `knownUrls` (the URLs
 * the caller used, which a message may quote in pieces) replaced by `***`.
 */
export function redactText(text: string, knownUrls: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (m) => {
    // Trailing punctuation belongs to the sentence, not the URL.
    const trail = /[.,;:!?)\]]+$/.exec(m)?.[0] ?? '';
    const core = trail ? m.slice(0, -trail.length) : m;
    return redactUrl(core) + trail;
  });
  for (const secret of knownUrls.flatMap(urlSecrets)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Flag names whose values are credentials: left out of every record. */
const SECRET_FLAG = /token|secret|password|passwd|credential|api_?key/i;

/** true for flags such as github_token whose value must never be written anywhere. */
export function isSecretFlag(name: string): boolean {
  return SECRET_FLAG.test(name);
}

/**
 * Flags as they may be recorded (report.md, metrics.json, trainer_state.json, logs): credential
 * flags dropped, and every value that is an http(s) URL (datastore, hub_url, model_name_or_path,
 * resume_from, ...) redacted. Other values are kept as they are.
 */
export function redactFlags<T>(flags: Readonly<Record<string, T>>): Record<string, T | string> {
  const out: Record<string, T | string> = {};
  for (const [name, value] of Object.entries(flags)) {
    if (isSecretFlag(name)) continue;
    out[name] = typeof value === 'string' && /^\s*https?:\/\//i.test(value) ? redactUrl(value.trim()) : value;
  }
  return out;
}
