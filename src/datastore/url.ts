// URLs may carry secrets (user:password@, presigned query strings): only the redacted form
// (src/util/redact.ts) is ever logged or put in an error message.
import * as core from '@actions/core';
import { urlSecrets } from '../util/redact.js';

export { redactUrl } from '../util/redact.js';

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

/** Masks shorter than this would blank out ordinary words and numbers all over the log. */
const MIN_MASK = 4;

/**
 * On a runner, register the URL's secret parts (user, password, secret query values) as masks
 * before anything may print them; off the runner there is nothing to register.
 */
export function maskUrlSecrets(url: URL, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  for (const part of urlSecrets(url.href)) if (part.length >= MIN_MASK) core.setSecret(part);
}
