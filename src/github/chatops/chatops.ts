// `/train key=value ...` from issue_comment events on pull requests. The comment is data from
// start to end: parsed against the flag schema, echoed back only through escapeMarkdown, never
// passed to a shell. The decision (accept / refuse / invalid / ignore) is returned to the caller,
// which trains only on `accepted` and checks out `headSha`.
import { findFlag, flagsFor } from '../../config/schema.js';
import { parseValue, type Flags } from '../../config/parse.js';
import { parseKeyValues } from './args.js';
import type { IssueCommentPayload, Octokit, RepoRef } from '../events.js';
import { escapeMarkdown, safeLogin } from '../../util/markdown-safe.js';
import { getPermission, mayTrigger } from './permissions.js';
import { findOwnComment } from '../pr/sticky-comment.js';

/** Every comment this action writes carries a `<!-- textclf` marker; such comments never trigger. */
export const OWN_MARKER = '<!-- textclf';
export const REPLY_MARKER = '<!-- textclf:chatops-reply -->';

export type Reaction = 'eyes' | 'rocket' | '-1' | 'confused';
export const REACTIONS = {
  accepted: 'eyes',
  success: 'rocket',
  refused: '-1',
  failure: 'confused',
} as const satisfies Record<string, Reaction>;

export type TrainCommand = { flags: Flags; raw: Record<string, string> } | { problems: string[] };

/** Finds the `/train` line (the first non-empty line must start with it) and validates its arguments. */
export function parseTrainCommand(body: string): TrainCommand | undefined {
  const line =
    body
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const m = /^\/train(?:\s+(.*))?$/.exec(line);
  if (!m) return undefined;
  const { pairs, problems } = parseKeyValues(m[1] ?? '');
  const allowed = flagsFor('chatops');
  const flags: Flags = {};
  const raw: Record<string, string> = {};
  for (const { key, value } of pairs) {
    const spec = findFlag(allowed, key); // Lightning's spellings too (gradient_clip_val)
    if (!spec) {
      problems.push(`unknown key '${key}'`);
      continue;
    }
    const pathProblem = key === 'model_name_or_path' ? notAHubId(value) : undefined;
    if (pathProblem) {
      problems.push(pathProblem);
      continue;
    }
    try {
      if (flags[spec.name] !== undefined) throw new Error(`'${key}' sets ${spec.name}, which is given already`);
      flags[spec.name] = parseValue(key === spec.name ? spec : { ...spec, name: key }, value);
      raw[spec.name] = value;
    } catch (e) {
      problems.push((e as Error).message.replace(/^--/, ''));
    }
  }
  return problems.length > 0 ? { problems } : { flags, raw };
}

/** `/train` takes no paths: a model must be a hub id (`name` or `org/name`), never a runner path. */
function notAHubId(v: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/.test(v) && !v.includes('..')
    ? undefined
    : `model_name_or_path: '${v}' is not a Hugging Face hub id (name or org/name); /train cannot load local paths`;
}

export type ChatOpsDecision =
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; reason: string; replyId: number }
  | { kind: 'invalid'; problems: string[]; replyId: number }
  | {
      kind: 'accepted';
      flags: Flags;
      pr: number;
      headSha: string;
      headRef: string;
      headRepo: string;
      commentId: number;
      actor: string;
    };

export interface ChatOpsOptions {
  allowForks: boolean;
  /** Login of the token's user (identity.ts): the author of our earlier replies. */
  selfLogin?: string;
}

/** Decides whether an issue_comment event starts training, and answers the comment accordingly. */
export async function handleTrainComment(
  octokit: Octokit,
  repo: RepoRef,
  payload: IssueCommentPayload,
  opts: ChatOpsOptions,
): Promise<ChatOpsDecision> {
  const body = payload.comment?.body ?? '';
  const author = payload.comment?.user;
  if (payload.action !== 'created')
    return { kind: 'ignored', reason: `comment ${payload.action}; only new comments trigger` };
  if (!payload.issue?.pull_request) return { kind: 'ignored', reason: 'comment is on an issue, not a pull request' };
  if (!author || author.type === 'Bot' || /\[bot\]$/.test(author.login))
    return { kind: 'ignored', reason: 'comment by a bot' };
  // Every comment the action writes carries OWN_MARKER: that, not the author, tells ours apart (with
  // a person's access token, that person's own /train comments must still count).
  if (body.includes(OWN_MARKER)) return { kind: 'ignored', reason: "the action's own comment" };
  const command = parseTrainCommand(body);
  if (!command) return { kind: 'ignored', reason: 'not a /train command' };

  const commentId = payload.comment.id;
  const pr = payload.issue.number;
  const who = safeLogin(author.login);
  const refuse = async (reason: string, text: string): Promise<ChatOpsDecision> => {
    await react(octokit, repo, commentId, REACTIONS.refused);
    const replyId = await reply(octokit, repo, pr, commentId, text, opts.selfLogin);
    return { kind: 'refused', reason, replyId };
  };

  const permission = await getPermission(octokit, repo, author.login);
  if (!mayTrigger(permission)) {
    return refuse(
      `${author.login} has ${permission} permission`,
      `@${who} \`/train\` needs write, maintain or admin permission on this repository (you have: ${permission}). No training was started.`,
    );
  }

  const { data: pull } = await octokit.rest.pulls.get({ ...repo, pull_number: pr });
  const headRepo = pull.head.repo?.full_name ?? '';
  const isFork = headRepo !== `${repo.owner}/${repo.repo}`;
  if (isFork && !opts.allowForks) {
    return refuse(
      'pull request from a fork',
      `@${who} this pull request comes from a fork (${escapeMarkdown(headRepo || 'deleted repository')}). \`/train\` does not run code from forks on this runner unless the workflow sets \`allow_forks: true\`. No training was started.`,
    );
  }

  if ('problems' in command) {
    await react(octokit, repo, commentId, REACTIONS.refused);
    const replyId = await reply(octokit, repo, pr, commentId, invalidReply(who, command.problems), opts.selfLogin);
    return { kind: 'invalid', problems: command.problems, replyId };
  }

  await react(octokit, repo, commentId, REACTIONS.accepted);
  return {
    kind: 'accepted',
    flags: command.flags,
    pr,
    headSha: pull.head.sha,
    headRef: pull.head.ref,
    headRepo,
    commentId,
    actor: author.login,
  };
}

/** 🚀 or 😕 on the triggering comment once training has finished. */
export async function finishTrainComment(
  octokit: Octokit,
  repo: RepoRef,
  commentId: number,
  ok: boolean,
): Promise<void> {
  await react(octokit, repo, commentId, ok ? REACTIONS.success : REACTIONS.failure);
}

/** The reply for bad arguments: every problem, then every valid key with its allowed values. */
export function invalidReply(who: string, problems: string[]): string {
  const keys = flagsFor('chatops').map((s) => {
    const allowed = s.type === 'enum' ? s.choices!.join(' \\| ') : s.type;
    return `| \`${s.name}\` | ${allowed} | ${escapeMarkdown(String(s.default ?? ''))} | ${escapeMarkdown(s.help, 300)} |`;
  });
  return [
    `@${who} \`/train\` was not started:`,
    '',
    ...problems.map((p) => `- ${escapeMarkdown(p)}`),
    '',
    'Usage: `/train key=value ...` (quote values with spaces: `key="a b"`). Valid keys:',
    '',
    '<details><summary>valid keys</summary>',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...keys,
    '',
    '</details>',
  ].join('\n');
}

export function flagsOutput(flags: Flags): string {
  return JSON.stringify(flags);
}

async function react(octokit: Octokit, repo: RepoRef, commentId: number, content: Reaction): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content });
}

/**
 * One reply per /train comment: a workflow may check the same comment in two steps (mode chatops,
 * then mode train), and the second check must not answer again. The reply names the comment it
 * answers in a hidden marker; found again like a sticky comment (findOwnComment).
 */
async function reply(
  octokit: Octokit,
  repo: RepoRef,
  pr: number,
  commentId: number,
  text: string,
  selfLogin?: string,
): Promise<number> {
  const marker = `${REPLY_MARKER}\n<!-- textclf:in-reply-to ${commentId} -->`;
  const earlier = await findOwnComment(octokit, repo, pr, marker, selfLogin);
  if (earlier) return earlier.id;
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: pr, body: `${marker}\n${text}` });
  return data.id;
}

/**
 * Step outputs for `mode: chatops`: the workflow checks out `head_sha` and trains only when
 * `accepted` is 'true'. Values are plain strings for core.setOutput.
 */
export function chatOpsOutputs(d: ChatOpsDecision): Record<string, string> {
  if (d.kind !== 'accepted')
    return {
      accepted: 'false',
      reason: d.kind === 'invalid' ? d.problems.join('; ') : d.reason,
      flags: '{}',
      head_sha: '',
      head_ref: '',
      pr_number: '',
    };
  return {
    accepted: 'true',
    reason: '',
    flags: flagsOutput(d.flags),
    head_sha: d.headSha,
    head_ref: d.headRef,
    pr_number: String(d.pr),
  };
}

/** Accepted flags as raw strings, to lay over the action's inputs before parseFlags. */
export function flagsToRaw(flags: Flags): Record<string, string> {
  return Object.fromEntries(
    Object.entries(flags)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
