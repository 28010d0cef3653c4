// URLs may carry secrets (user:password@, presigned query strings): only the redacted form is
// ever logged or put in an error message.

/** `https://host/path/file.zip` without credentials, query or fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.search ? '?…' : '';
    return `${u.protocol}//${u.host}${u.pathname}${hidden}`;
  } catch {
    return '<invalid URL>';
  }
}

export function isHttpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Last path segment of the URL, percent-decoded ('' when the path ends in '/'). */
export function urlBasename(url: string): string {
  const path = new URL(url).pathname;
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
