// URLs may carry secrets (user:password@, presigned query strings): only the redacted form is
// ever logged or put in an error message.
import * as core from '@actions/core';

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

/**
 * On a runner the toolkit logs the full URL at debug level: register its secret parts (password,
 * presigned query) as masks first. Off the runner those lines are dropped (see withToolCache).
 */
export function maskUrlSecrets(url: URL, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  const parts = [url.password, url.search.slice(1), ...[...url.searchParams.values()].filter((v) => v.length >= 8)];
  for (const part of parts) if (part) core.setSecret(part);
}
