// The Hub calls a push needs, through @huggingface/hub (it decides LFS or Xet and speaks the
// upload protocols): who owns the token, the repo (created when missing, as create_repo's
// exist_ok does), and one commit of files. Every failure becomes a HubPushError that says what
// failed, why, and the fix; presigned storage URLs and the token never reach a message.
import { pathToFileURL } from 'node:url';
import { commit, createRepo, HubApiError, modelInfo, whoAmI, type CommitOperation } from '@huggingface/hub';
import { CancelledError } from '../util/cancel.js';
import { REDACTED, redactText } from '../util/redact.js';
import { HubPushError, HubTimeoutError } from './errors.js';

export interface HubConnection {
  /** The Hub's URL without a trailing slash, e.g. https://huggingface.co. */
  hubUrl: string;
  token: string;
  /** hubFetch: timeouts, cancel, the token kept to the Hub. */
  fetch: typeof fetch;
}

/** One file of a commit: a local file (read when sent) or content in memory. */
export interface PushFile {
  /** Path in the repo, `/`-separated. */
  path: string;
  file?: string;
  content?: string;
}

export interface Commit {
  oid: string;
  /** The commit's page on the Hub (the commit endpoint's commitUrl). */
  url: string;
}

/** The account behind the token, and whether the token may write. */
export async function tokenOwner(c: HubConnection): Promise<{ name: string; canWrite: boolean }> {
  try {
    const me = await whoAmI({ accessToken: c.token, hubUrl: c.hubUrl, fetch: c.fetch });
    const role = me.type === 'app' ? me.scope?.role : me.auth.accessToken?.role;
    return { name: me.name, canWrite: role !== 'read' };
  } catch (e) {
    throw explain(e, c, `checking the token at ${c.hubUrl}/api/whoami-v2`);
  }
}

/** Creates `repo` (a model repo) unless it exists; an existing one is checked for the visibility asked for. */
export async function ensureRepo(
  c: HubConnection,
  repo: string,
  o: { private: boolean },
): Promise<'created' | 'exists'> {
  try {
    await createRepo({
      repo: { type: 'model', name: repo },
      accessToken: c.token,
      hubUrl: c.hubUrl,
      fetch: c.fetch,
      ...(o.private ? { visibility: 'private' as const } : {}),
    });
    return 'created';
  } catch (e) {
    if (!(e instanceof HubApiError && e.statusCode === 409))
      throw explain(e, c, `creating the model repo ${repo}`, repo);
  }
  if (o.private) {
    let info: { private: boolean };
    try {
      info = await modelInfo({ name: repo, accessToken: c.token, hubUrl: c.hubUrl, fetch: c.fetch });
    } catch (e) {
      throw explain(e, c, `reading the settings of ${repo}`, repo);
    }
    if (!info.private)
      throw new HubPushError(
        `hub_private_repo is set but ${repo} already exists and is public: pushing would publish the model. Make the repo private on the Hub (Settings), or choose another hub_model_id`,
        'hub_private_repo',
      );
  }
  return 'exists';
}

/** One commit on main with `files`; resolves with the commit the Hub made. */
export async function commitFiles(
  c: HubConnection,
  repo: string,
  files: PushFile[],
  title: string,
  signal?: AbortSignal,
): Promise<Commit> {
  const operations: CommitOperation[] = files.map((f) => ({
    operation: 'addOrUpdate',
    path: f.path,
    content: f.file !== undefined ? pathToFileURL(f.file) : new Blob([f.content ?? ''], { type: 'text/plain' }),
  }));
  try {
    const out = await commit({
      repo: { type: 'model', name: repo },
      operations,
      title,
      accessToken: c.token,
      hubUrl: c.hubUrl,
      fetch: c.fetch,
      abortSignal: signal,
    });
    if (!out?.commit?.oid) throw new Error('the Hub answered the commit without a commit id');
    return { oid: out.commit.oid, url: out.commit.url };
  } catch (e) {
    throw explain(e, c, `committing ${files.length} file${files.length === 1 ? '' : 's'} to ${repo}`, repo);
  }
}

/** A failure as a HubPushError (cancel and stall errors keep their type), with no secret in it. */
export function explain(e: unknown, c: HubConnection, doing: string, repo?: string): Error {
  const clean = (s: string) => redactText(c.token ? s.split(c.token).join(REDACTED) : s);
  if (e instanceof CancelledError) return e;
  if (e instanceof HubTimeoutError) return new HubTimeoutError(clean(`${doing}: ${e.message}`), e.flag);
  if (e instanceof HubPushError) return new HubPushError(clean(e.message), e.flag);
  const err = e as Error & { cause?: { message?: string; code?: string } };
  if (err?.name === 'AbortError') return new CancelledError(`cancelled ${doing}`);
  if (e instanceof HubApiError) {
    const said = clean(e.message.replace(/\. URL: .*$/s, ''));
    const status = e.statusCode;
    if (status === 401 && /Invalid credentials/i.test(e.message))
      return new HubPushError(
        `${doing}: the Hub refused the token (401 ${said}). HF_TOKEN (or the action's hub_token) is wrong, expired or revoked: create a token with write access at https://huggingface.co/settings/tokens`,
        'hub_token',
      );
    if (status === 401 || status === 404)
      return new HubPushError(
        `${doing}: ${repo ?? 'the repo'} was not found (HTTP ${status}): it does not exist, or it is private and this token cannot see it. Check hub_model_id, and use a token of an account that can write to it`,
        'hub_model_id',
      );
    if (status === 403)
      return new HubPushError(
        `${doing}: the Hub refused (403 ${said}). The token needs write access to ${repo ? `the namespace ${repo.split('/')[0]}` : 'the repo'}: use a write token of that account or organization, or set hub_model_id to a repo of your own`,
        'hub_model_id',
      );
    if (status >= 500) return new HubPushError(`${doing}: the Hub failed (HTTP ${status}: ${said}); try again later`);
    return new HubPushError(`${doing}: the Hub answered HTTP ${status}: ${said}`);
  }
  if (e instanceof TypeError && /must start with 'hf_'/.test(e.message))
    return new HubPushError(
      `${doing}: the token does not look like a Hugging Face access token (they start with hf_); set HF_TOKEN (or the action's hub_token) to one from https://huggingface.co/settings/tokens`,
      'hub_token',
    );
  // a local file that went missing or cannot be read is not the network's fault
  if (/^E(NOENT|ACCES|PERM|ISDIR|MFILE)$/.test(String((e as { code?: string })?.code)))
    return new HubPushError(clean(`${doing}: reading a local file failed: ${err.message}`));
  const cause = err?.cause?.code ?? err?.cause?.message;
  return new HubPushError(
    clean(
      `${doing}: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}. Check hub_url / HF_ENDPOINT and the network`,
    ),
  );
}
