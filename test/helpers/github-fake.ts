// A stateful GitHub REST fake on 127.0.0.1. Every request is first validated against GitHub's
// official OpenAPI description (see github-fake-openapi.ts); an invalid request is answered 400 and
// recorded in `violations`, which tests assert to be empty. Routes the spec knows but this fake does
// not implement are violations too, so nothing passes by accident. Like GitHub: tokens are
// identities (an unknown token is 401 Bad credentials; the GITHUB_TOKEN is github-actions[bot] and
// cannot call GET /user; a personal access token is its user), collaborator permissions fold roles
// into admin/write/read with role_name keeping maintain/triage, expired artifacts answer 410, and
// tests can inject faults (401/403/404/410/5xx, secondary rate limits with Retry-After).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { OpenApiValidator, type MatchedOperation } from './github-fake-openapi.js';
import { makeZip } from './zip.js';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}
export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: FakeUser;
  created_at: string;
  updated_at: string;
}
export interface FakeReaction {
  id: number;
  comment_id: number;
  content: string;
  user: FakeUser;
}
export interface FakePull {
  number: number;
  head_sha: string;
  head_ref: string;
  head_repo: string;
  base_ref: string;
  user: FakeUser;
  state?: 'open' | 'closed';
}
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  user: FakeUser;
}
export interface FakeRun {
  id: number;
  workflow_id: number;
  path: string;
  name: string;
  head_branch: string;
  head_sha: string;
  event: string;
  status: 'completed' | 'in_progress' | 'queued';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  created_at: string;
  run_attempt: number;
}
export interface FakeArtifact {
  id: number;
  run_id: number;
  name: string;
  files: Record<string, string | Buffer>;
  created_at: string;
  expired?: boolean;
}
export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  body?: unknown;
  /** The login the request's token authenticated as (undefined: no or a bad token). */
  as?: string;
  /** The status the fake answered. */
  status?: number;
}

/**
 * Who a token is. `installation`: the workflow's GITHUB_TOKEN (or another GitHub App installation
 * token), which acts as a bot and cannot call GET /user; `user`: a personal access token.
 */
export interface FakeIdentity {
  kind: 'installation' | 'user';
  user: FakeUser;
}

/** An answer the fake gives instead of handling a request (error injection). */
export interface InjectedFault {
  /** Matches the request's operationId (e.g. 'issues/create-comment'); omitted: any request. */
  operationId?: string;
  status: number;
  message?: string;
  headers?: Record<string, string>;
  /** How many matching requests get it (default 1). */
  times?: number;
}

export const GITHUB_ACTIONS_BOT: FakeUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

/** GitHub's words for the faults tests inject (so clients see what they would see). */
export const GITHUB_MESSAGES: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  410: 'Gone',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};
export const SECONDARY_RATE_LIMIT =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

let validatorCache: OpenApiValidator | undefined;

export class GitHubFake {
  owner = 'octo-org';
  repo = 'textclf-demo';
  defaultBranch = 'main';
  /** The default token: the workflow's GITHUB_TOKEN, acting as github-actions[bot]. */
  readonly token = 'ghs_fakeInstallationToken000000000000';
  /** Every token the fake accepts, and who it is; any other token gets 401 Bad credentials. */
  readonly tokens = new Map<string, FakeIdentity>([[this.token, { kind: 'installation', user: GITHUB_ACTIONS_BOT }]]);
  /** Faults answered instead of the next matching requests (see inject). */
  readonly faults: InjectedFault[] = [];
  readonly comments: FakeComment[] = [];
  readonly reactions: FakeReaction[] = [];
  /**
   * Repository roles by login: admin, maintain, write, triage or read. Answered as GitHub does:
   * `permission` is admin/write/read (maintain folds into write, triage into read) and
   * `role_name` carries the role itself. A login not listed is not a collaborator (404).
   */
  readonly permissions = new Map<string, string>();
  readonly pulls = new Map<number, FakePull>();
  readonly issues: FakeIssue[] = [];
  readonly runs: FakeRun[] = [];
  readonly artifacts: FakeArtifact[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  private nextId = 1000;
  private server!: Server;
  url = '';

  private constructor(private readonly validator: OpenApiValidator) {}

  static async start(): Promise<GitHubFake> {
    validatorCache ??= OpenApiValidator.load();
    const fake = new GitHubFake(validatorCache);
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((e) => fake.fail(res, 500, String(e?.stack ?? e)));
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }

  id(): number {
    return this.nextId++;
  }

  /** Accepts `token` as `identity` (default: another installation token acting as github-actions[bot]). */
  addToken(token: string, identity: FakeIdentity = { kind: 'installation', user: GITHUB_ACTIONS_BOT }): void {
    this.tokens.set(token, identity);
  }

  /** A personal access token of `login` (a User): GET /user answers it, comments are by it. */
  addUserToken(token: string, login: string): FakeUser {
    const user = this.user(login);
    this.tokens.set(token, { kind: 'user', user });
    return user;
  }

  /** The next `times` requests matching `operationId` get this answer instead (error injection). */
  inject(fault: InjectedFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** GitHub's secondary rate limit: 403 with Retry-After, for the next `times` matching requests. */
  injectSecondaryRateLimit(operationId: string, retryAfterSeconds: number, times = 1): void {
    this.inject({
      operationId,
      status: 403,
      message: SECONDARY_RATE_LIMIT,
      headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-remaining': '4990' },
      times,
    });
  }

  /** The user of the default token (comments created through the API belong to the requesting token's user). */
  get tokenUser(): FakeUser {
    return this.tokens.get(this.token)!.user;
  }
  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  // ---- seeding helpers -------------------------------------------------------------------------
  user(login: string, type: 'User' | 'Bot' = 'User'): FakeUser {
    return { login, id: 5000 + login.length * 31 + login.charCodeAt(0), type };
  }

  addComment(issue_number: number, body: string, user: FakeUser): FakeComment {
    const now = new Date().toISOString();
    const c = { id: this.id(), issue_number, body, user, created_at: now, updated_at: now };
    this.comments.push(c);
    return c;
  }

  addRun(run: Partial<FakeRun> & { workflow_id: number }): FakeRun {
    const r: FakeRun = {
      id: this.id(),
      path: '.github/workflows/train.yml',
      name: 'train',
      head_branch: this.defaultBranch,
      head_sha: 'a'.repeat(40),
      event: 'push',
      status: 'completed',
      conclusion: 'success',
      created_at: new Date(Date.now() - 3600_000).toISOString(),
      run_attempt: 1,
      ...run,
    };
    this.runs.push(r);
    return r;
  }

  addArtifact(run_id: number, name: string, files: Record<string, string | Buffer>): FakeArtifact {
    const a = { id: this.id(), run_id, name, files, created_at: new Date().toISOString() };
    this.artifacts.push(a);
    return a;
  }

  commentsOn(issue: number): FakeComment[] {
    return this.comments.filter((c) => c.issue_number === issue);
  }
  reactionsOn(commentId: number): string[] {
    return this.reactions.filter((r) => r.comment_id === commentId).map((r) => r.content);
  }

  // ---- HTTP --------------------------------------------------------------------------------------
  private fail(res: ServerResponse, status: number, message: string): void {
    if (status === 400 || status === 500 || status === 501) this.violations.push(message);
    this.json(res, status, { message, documentation_url: 'https://docs.github.com/rest' });
  }

  /** An error body as GitHub sends it: message, documentation_url, and the status as a string. */
  private error(
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
    doc = 'rest',
  ): void {
    const documentation_url = `https://docs.github.com/${doc.startsWith('rest') ? doc : `rest/${doc}`}`;
    this.json(res, status, { message, documentation_url, status: String(status) }, headers);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');

    // Blob storage (where artifact downloads redirect to) is not part of the REST API.
    const blob = /^\/_blobs\/(\d+)\.zip$/.exec(url.pathname);
    if (blob && req.method === 'GET') {
      const a = this.artifacts.find((x) => x.id === Number(blob[1]));
      if (!a) return this.json(res, 404, { message: 'blob not found' });
      const zip = makeZip(a.files);
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.length) });
      res.end(zip);
      return;
    }

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return this.fail(res, 400, `${req.method} ${url.pathname}: body is not JSON`);
      }
    }
    const op = this.validator.match(req.method ?? 'GET', url.pathname);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      operationId: op?.operationId,
      body,
    };
    this.requests.push(recorded);
    res.on('finish', () => (recorded.status = res.statusCode));
    if (!op) return this.fail(res, 400, `${req.method} ${url.pathname}: no such route in GitHub's OpenAPI description`);
    const errors = this.validator.validate(op, url.searchParams, body);
    if (errors.length > 0) return this.fail(res, 400, errors.join('; '));
    const auth = /^(?:token|bearer) (\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth) return this.error(res, 401, 'Requires authentication');
    const identity = this.tokens.get(auth[1]!);
    if (!identity) return this.error(res, 401, 'Bad credentials');
    recorded.as = identity.user.login;
    const me = identity.user;
    const fault = this.faults.find((f) => !f.operationId || f.operationId === op.operationId);
    if (fault) {
      if (--fault.times! <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return this.error(res, fault.status, fault.message ?? GITHUB_MESSAGES[fault.status] ?? 'Error', fault.headers);
    }
    const p = op.params;
    if (p.owner !== undefined && `${p.owner}/${p.repo}` !== this.fullName)
      return this.json(res, 404, { message: 'Not Found' });
    const q = url.searchParams;
    const b = (body ?? {}) as Record<string, any>;
    const send = (status: number, overlay: unknown) => this.send(res, op, status, overlay);
    const sendList = (items: unknown[], key?: string) => this.sendList(res, op, url, items, key);

    switch (op.operationId) {
      case 'users/get-authenticated':
        // Installation tokens (GITHUB_TOKEN included) are not a user: GitHub answers 403.
        if (identity.kind === 'installation')
          return this.error(
            res,
            403,
            'Resource not accessible by integration',
            {},
            'users/users#get-the-authenticated-user',
          );
        return send(200, { ...this.userJson(me), name: me.login, site_admin: false });
      case 'repos/get':
        return send(200, this.repoJson());
      case 'issues/list-comments': {
        return sendList(this.commentsOn(Number(p.issue_number)).map((c) => this.commentJson(c)));
      }
      case 'issues/create-comment': {
        const c = this.addComment(Number(p.issue_number), b.body, me);
        return send(201, this.commentJson(c));
      }
      case 'issues/update-comment': {
        const c = this.comments.find((x) => x.id === Number(p.comment_id));
        if (!c) return this.json(res, 404, { message: 'Not Found' });
        c.body = b.body;
        c.updated_at = new Date().toISOString();
        return send(200, this.commentJson(c));
      }
      case 'issues/get-comment': {
        const c = this.comments.find((x) => x.id === Number(p.comment_id));
        return c ? send(200, this.commentJson(c)) : this.json(res, 404, { message: 'Not Found' });
      }
      case 'reactions/create-for-issue-comment': {
        const commentId = Number(p.comment_id);
        if (!this.comments.some((x) => x.id === commentId)) return this.json(res, 404, { message: 'Not Found' });
        const existing = this.reactions.find(
          (r) => r.comment_id === commentId && r.content === b.content && r.user.login === me.login,
        );
        if (existing) return send(200, this.reactionJson(existing));
        const r = { id: this.id(), comment_id: commentId, content: b.content, user: me };
        this.reactions.push(r);
        return send(201, this.reactionJson(r));
      }
      case 'repos/get-collaborator-permission-level': {
        const role = this.permissions.get(p.username);
        if (role === undefined) return this.json(res, 404, { message: 'Not Found' });
        const user = this.user(p.username);
        // GitHub folds the roles into the legacy admin/write/read; role_name keeps the role.
        const permission = (
          { admin: 'admin', maintain: 'write', write: 'write', triage: 'read', read: 'read' } as Record<string, string>
        )[role];
        if (!permission) throw new Error(`fake: unknown role '${role}' (use admin, maintain, write, triage or read)`);
        const rank = ['read', 'triage', 'write', 'maintain', 'admin'].indexOf(role);
        return send(200, {
          permission,
          role_name: role,
          user: {
            ...this.userJson(user),
            role_name: role,
            permissions: { admin: rank >= 4, maintain: rank >= 3, push: rank >= 2, triage: rank >= 1, pull: true },
          },
        });
      }
      case 'pulls/get': {
        const pr = this.pulls.get(Number(p.pull_number));
        return pr ? send(200, this.pullJson(pr)) : this.json(res, 404, { message: 'Not Found' });
      }
      case 'repos/list-pull-requests-associated-with-commit': {
        const prs = [...this.pulls.values()].filter((x) => x.head_sha === p.commit_sha);
        return sendList(prs.map((x) => this.pullJson(x)));
      }
      case 'actions/get-workflow-run': {
        const r = this.runs.find((x) => x.id === Number(p.run_id));
        return r ? send(200, this.runJson(r)) : this.json(res, 404, { message: 'Not Found' });
      }
      case 'actions/list-workflow-runs': {
        const wf = p.workflow_id;
        let runs = this.runs.filter((r) => String(r.workflow_id) === wf || r.path.endsWith(`/${wf}`));
        if (q.get('branch')) runs = runs.filter((r) => r.head_branch === q.get('branch'));
        if (q.get('event')) runs = runs.filter((r) => r.event === q.get('event'));
        const status = q.get('status');
        if (status) runs = runs.filter((r) => r.status === status || r.conclusion === status);
        runs = [...runs].sort((a, c) => c.created_at.localeCompare(a.created_at) || c.id - a.id);
        return sendList(
          runs.map((r) => this.runJson(r)),
          'workflow_runs',
        );
      }
      case 'actions/list-workflow-run-artifacts': {
        let list = this.artifacts.filter((a) => a.run_id === Number(p.run_id));
        if (q.get('name')) list = list.filter((a) => a.name === q.get('name'));
        return sendList(
          list.map((a) => this.artifactJson(a)),
          'artifacts',
        );
      }
      case 'actions/download-artifact': {
        const a = this.artifacts.find((x) => x.id === Number(p.artifact_id));
        if (!a) return this.json(res, 404, { message: 'Not Found' });
        if (p.archive_format !== 'zip') return this.json(res, 422, { message: 'archive_format must be zip' });
        // Past its retention period the artifact is still listed (expired: true), but gone.
        if (a.expired)
          return this.error(res, 410, 'Artifact has expired', {}, 'actions/artifacts#download-an-artifact');
        res.writeHead(302, { location: `${this.url}/_blobs/${a.id}.zip` });
        res.end();
        return;
      }
      case 'issues/list-for-repo': {
        const state = q.get('state') ?? 'open';
        const labels = (q.get('labels') ?? '').split(',').filter(Boolean);
        const list = this.issues.filter(
          (i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)),
        );
        return sendList(list.map((i) => this.issueJson(i)));
      }
      case 'issues/create': {
        const number = this.id();
        const issue: FakeIssue = {
          number,
          title: b.title,
          body: b.body ?? '',
          labels: (b.labels ?? []).map((l: any) => (typeof l === 'string' ? l : l.name)),
          state: 'open',
          user: me,
        };
        this.issues.push(issue);
        return send(201, this.issueJson(issue));
      }
      case 'issues/update': {
        const issue = this.issues.find((i) => i.number === Number(p.issue_number));
        if (!issue) return this.json(res, 404, { message: 'Not Found' });
        if (typeof b.body === 'string') issue.body = b.body;
        if (typeof b.title === 'string') issue.title = b.title;
        if (b.state === 'open' || b.state === 'closed') issue.state = b.state;
        return send(200, this.issueJson(issue));
      }
      default:
        return this.fail(
          res,
          501,
          `${req.method} ${op.template} (${op.operationId}) is valid but not implemented by the fake`,
        );
    }
  }

  /** GitHub's example body for the operation with our state laid over it, checked against the response schema. */
  private shape(op: MatchedOperation, status: number, overlay: unknown, template?: unknown): unknown {
    const merged = deepMerge(template ?? this.validator.example(op, status), overlay);
    return merged;
  }

  private send(res: ServerResponse, op: MatchedOperation, status: number, overlay: unknown): void {
    const body = this.shape(op, status, overlay);
    this.violations.push(...this.validator.validateResponse(op, status, body));
    this.json(res, status, body);
  }

  /**
   * A list answer, paginated as GitHub does (per_page default 30, a Link rel="next" header). `key`
   * names the array inside a `{ total_count, <key>: [...] }` envelope (workflow runs, artifacts).
   */
  private sendList(res: ServerResponse, op: MatchedOperation, url: URL, items: unknown[], key?: string): void {
    const per = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const example = this.validator.example(op, 200);
    const itemTemplate = (key ? example[key] : example)[0];
    const slice = items.slice((page - 1) * per, page * per).map((i) => deepMerge(structuredClone(itemTemplate), i));
    const body = key ? { total_count: items.length, [key]: slice } : slice;
    const headers: Record<string, string> = {};
    if (page * per < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      next.searchParams.set('per_page', String(per));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    this.violations.push(...this.validator.validateResponse(op, 200, body));
    this.json(res, 200, body, headers);
  }

  // ---- JSON shapes (the fields our code and @actions/artifact read, named as GitHub names them) ----
  private userJson(u: FakeUser) {
    return {
      login: u.login,
      id: u.id,
      type: u.type,
      node_id: `U_${u.id}`,
      html_url: `https://github.com/${encodeURIComponent(u.login)}`,
    };
  }
  private repoJson() {
    return {
      id: 1,
      name: this.repo,
      full_name: this.fullName,
      owner: this.userJson(this.user(this.owner)),
      default_branch: this.defaultBranch,
      fork: false,
      private: false,
      language: 'TypeScript',
      source: { language: 'TypeScript' },
      parent: { language: 'TypeScript' },
    };
  }
  private commentJson(c: FakeComment) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      user: this.userJson(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: `https://github.com/${this.fullName}/pull/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${this.fullName}/issues/${c.issue_number}`,
      author_association: 'MEMBER',
    };
  }
  private reactionJson(r: FakeReaction) {
    return {
      id: r.id,
      node_id: `REA_${r.id}`,
      content: r.content,
      user: this.userJson(r.user),
      created_at: new Date().toISOString(),
    };
  }
  private pullJson(pr: FakePull) {
    const repoFor = (full: string) => ({
      full_name: full,
      name: full.split('/')[1],
      owner: this.userJson(this.user(full.split('/')[0])),
      fork: full !== this.fullName,
    });
    return {
      number: pr.number,
      state: pr.state ?? 'open',
      user: this.userJson(pr.user),
      requested_teams: [],
      requested_reviewers: [],
      head: {
        sha: pr.head_sha,
        ref: pr.head_ref,
        label: `${pr.head_repo.split('/')[0]}:${pr.head_ref}`,
        repo: repoFor(pr.head_repo),
      },
      base: {
        sha: 'b'.repeat(40),
        ref: pr.base_ref,
        label: `${this.owner}:${pr.base_ref}`,
        repo: repoFor(this.fullName),
      },
    };
  }
  private runJson(r: FakeRun) {
    return {
      id: r.id,
      name: r.name,
      path: r.path,
      workflow_id: r.workflow_id,
      head_branch: r.head_branch,
      head_sha: r.head_sha,
      event: r.event,
      status: r.status,
      conclusion: r.conclusion,
      run_attempt: r.run_attempt,
      run_number: r.id,
      created_at: r.created_at,
      updated_at: r.created_at,
      html_url: `https://github.com/${this.fullName}/actions/runs/${r.id}`,
    };
  }
  private artifactJson(a: FakeArtifact) {
    const size = makeZip(a.files).length;
    return {
      id: a.id,
      node_id: `A_${a.id}`,
      name: a.name,
      size_in_bytes: size,
      expired: a.expired ?? false,
      created_at: a.created_at,
      updated_at: a.created_at,
      expires_at: null,
      url: `${this.url}/repos/${this.fullName}/actions/artifacts/${a.id}`,
      archive_download_url: `${this.url}/repos/${this.fullName}/actions/artifacts/${a.id}/zip`,
      workflow_run: { id: a.run_id },
    };
  }
  private issueJson(i: FakeIssue) {
    return {
      pull_request: OMIT,
      number: i.number,
      id: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      labels: i.labels.map((name) => ({ name })),
      user: this.userJson(i.user),
      html_url: `https://github.com/${this.fullName}/issues/${i.number}`,
    };
  }
}

/** In an overlay: remove this key from the example (e.g. `pull_request` on a plain issue). */
const OMIT = Symbol('omit');

/** Objects merge key by key; arrays, scalars and null replace; undefined leaves the template value. */
function deepMerge(base: any, over: any): any {
  if (over === undefined) return base;
  if (
    over === null ||
    typeof over !== 'object' ||
    Array.isArray(over) ||
    base === null ||
    typeof base !== 'object' ||
    Array.isArray(base)
  )
    return over;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === OMIT) delete out[k];
    else out[k] = deepMerge(base[k], v);
  }
  return out;
}
