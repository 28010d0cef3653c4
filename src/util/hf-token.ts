// HF_TOKEN's scope, shared by model downloads (models/hub.ts) and Hub datasets (datastore/): the
// token goes to huggingface.co (hf.co) over https, and to the host of HF_ENDPOINT (set next to
// HF_TOKEN by whoever owns the token), never to another host (a --hub_url) nor across a redirect.

/** HF_TOKEN (or the older HF_ACCESS_TOKEN), when set. */
export function hfToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN || env.HF_ACCESS_TOKEN || undefined;
}

/** True when HF_TOKEN may be sent to `url`'s origin. */
export function tokenOrigin(url: URL, env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env.HF_ENDPOINT;
  let trusted: string | undefined;
  try {
    trusted = endpoint ? new URL(endpoint).origin : undefined;
  } catch {
    trusted = undefined;
  }
  return (
    url.origin === trusted ||
    (url.protocol === 'https:' && (url.hostname === 'huggingface.co' || url.hostname === 'hf.co'))
  );
}
