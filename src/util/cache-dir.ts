// The cache for hub models and token ids when cache_dir is not set, one default per host: the CLI
// uses XDG_CACHE_HOME/textclf (else ~/.cache/textclf); the action the runner's tool cache, which
// persists on self-hosted runners (else a temp dir). A library caller that names no host gets
// <output_dir>/.cache (train/prepare.ts). Datastores have their own tool-cache layout
// (datastore/cache.ts).
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from './host.js';

export function defaultCacheDir(host: Host, env: NodeJS.ProcessEnv = process.env): string {
  if (host === 'action')
    return env.RUNNER_TOOL_CACHE ? join(env.RUNNER_TOOL_CACHE, 'textclf') : join(tmpdir(), 'textclf-cache');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'textclf');
}
