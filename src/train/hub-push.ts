// --push_to_hub: a run's model on the Hugging Face Hub, with Hugging Face Trainer's hub_strategy.
//   connect (before any data is read: token, host, whoami, the repo id)
//   -> ensureRepo (once the data and model loaded: create it unless it exists)
//   -> checkpointSaved per epoch checkpoint (every_save / checkpoint: a background commit, never
//      blocking training; while one is in flight a new save is not pushed, as HF does)
//   -> finish (waits for that push, then commits the final model and its card: "End of training")
//   -> close (always: aborts what is still in flight, removes the staging links).
// A failed final push is an outcome, not an exception: the run's local results stay as they are
// and the host says so (the CLI exits 1, the action fails after its summary and comment).
// The interface is narrow on purpose: these four calls become a Trainer callback's hooks.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { env as transformersEnv } from '@huggingface/transformers';
import type { TrainFlags } from '../config/schema.js';
import { commitFiles, ensureRepo, tokenOwner, type Commit, type HubConnection, type PushFile } from '../hub/client.js';
import { HubPushError } from '../hub/errors.js';
import { hubFetch } from '../hub/fetch.js';
import type { MetricsFile } from '../metrics/types.js';
import { hubHost } from '../models/hub.js';
import { renderModelCard } from '../report/model-card.js';
import type { ArtifactLink } from '../report/markdown.js';
import { hideLocalPaths, isAbsolutePath } from '../report/paths.js';
import { ORT_VERSION } from '../runtime/ort-version.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { CancelledError } from '../util/cancel.js';
import type { Logger } from '../util/logger.js';
import { packageVersion } from '../util/package-version.js';
import { OPTIMIZER_FILE, TRAINER_STATE } from './checkpoint.js';

export interface HubPushOptions {
  log: Logger;
  /** The run's cancel signal: aborts every Hub request at once. */
  signal?: AbortSignal;
  /** The action's hub_token; default HF_TOKEN (or HF_ACCESS_TOKEN). */
  token?: string;
}

/** What became of the final push (RunResult.hub). */
export interface HubOutcome {
  repo: string;
  /** The repo's page. */
  url: string;
  /** The final commit, when it landed. */
  commit?: Commit;
  /** Repo paths of the final commit. */
  files?: string[];
  /** Why the final push failed (the local results are complete). */
  error?: string;
  /** After a failure: the command that pushes the local model later. */
  retry?: string;
  /** Why nothing was pushed at the end (a cancelled run). */
  skipped?: string;
}

const CARD = 'README.md';
/** A checkpoint's files that are not the model: the Hub's root gets the model only (last-checkpoint/ gets all). */
const TRAINING_ONLY = new Set([OPTIMIZER_FILE, TRAINER_STATE, CARD]);

export class HubPush {
  private inflight?: Promise<void>;
  private readonly stop = new AbortController();
  private staged = 0;
  private readonly staging: string;

  private constructor(
    private readonly conn: HubConnection,
    readonly repo: string,
    private readonly flags: TrainFlags,
    private readonly log: Logger,
  ) {
    this.staging = join(resolve(flags.output_dir), '.hub-push');
  }

  /** The token, the host and the repo id, checked before anything else of the run happens. */
  static async connect(flags: TrainFlags, o: HubPushOptions): Promise<HubPush> {
    const token = o.token || process.env.HF_TOKEN || process.env.HF_ACCESS_TOKEN;
    const target = flags.hub_model_id ? ` to ${flags.hub_model_id}` : '';
    if (!token)
      throw new HubPushError(
        `push_to_hub: pushing${target}${flags.hub_private_repo ? ' (a private repo)' : ''} needs a Hugging Face token with write access, and none is set: set HF_TOKEN (in the action: hub_token: \${{ secrets.HF_TOKEN }}); create one at https://huggingface.co/settings/tokens. Nothing was trained or pushed`,
        'hub_token',
      );
    const hubUrl = hubHost(flags.hub_url).replace(/\/+$/, '');
    const origin = new URL(hubUrl).origin;
    if (!tokenMayGo(new URL(hubUrl)))
      throw new HubPushError(
        `push_to_hub: hub_url ${hubUrl} is neither huggingface.co nor HF_ENDPOINT, and the token goes only there; set HF_ENDPOINT=${origin} if that host is your Hub`,
        'hub_url',
      );
    const fetch = hubFetch({ origin, token, timeoutMs: flags.hub_timeout * 1000, signal: o.signal });
    const conn: HubConnection = { hubUrl, token, fetch };
    const owner = await tokenOwner(conn);
    if (!owner.canWrite)
      throw new HubPushError(
        `push_to_hub: the token of ${owner.name} is read-only; create one with write access at https://huggingface.co/settings/tokens`,
        'hub_token',
      );
    const given = flags.hub_model_id ?? basename(resolve(flags.output_dir));
    const repo = given.includes('/') ? given : `${owner.name}/${given}`;
    const name = repo.split('/')[1];
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name) || /--|\.\./.test(name) || /[.-]$/.test(name) || name.length > 96)
      throw new HubPushError(
        `push_to_hub: '${name}'${flags.hub_model_id ? '' : ` (output_dir's name)`} is not a valid Hub repo name (letters, digits, - _ . without -- or .., not ending in - or ., at most 96); set --hub_model_id`,
        'hub_model_id',
      );
    const push = new HubPush(conn, repo, flags, o.log);
    o.signal?.addEventListener('abort', () => push.stop.abort(), { once: true });
    return push;
  }

  get url(): string {
    return `${this.conn.hubUrl}/${this.repo}`;
  }

  /** Creates the repo unless it exists (once the run's data and model have loaded). */
  async ensureRepo(): Promise<void> {
    const how = await ensureRepo(this.conn, this.repo, { private: this.flags.hub_private_repo });
    this.log.info(
      `Hub: ${how === 'created' ? 'created' : 'pushing to'} ${this.flags.hub_private_repo ? 'private ' : ''}repo ${this.url}; hub_strategy ${this.flags.hub_strategy}`,
    );
  }

  /** An epoch checkpoint was saved: every_save and checkpoint push it in the background. */
  checkpointSaved(dir: string, epoch: number): void {
    const strategy = this.flags.hub_strategy;
    if (strategy === 'end' || this.stop.signal.aborted) return;
    if (this.inflight) {
      this.log.info(`Hub: epoch ${epoch} is not pushed: the previous push is still running`);
      return;
    }
    const files = modelFiles(dir);
    if (strategy === 'checkpoint') files.push(...checkpointFiles(dir, 'last-checkpoint'));
    // Links (or copies) of the files as they are now: pruning or the next save may replace them mid-push.
    const stage = join(this.staging, `epoch-${epoch}-${this.staged++}`);
    const staged = snapshot(files, stage);
    const title = `Training in progress, epoch ${epoch}${strategy === 'checkpoint' ? ', with last-checkpoint/' : ''}`;
    this.inflight = commitFiles(this.conn, this.repo, staged, title, this.stop.signal)
      .then(
        (c) => this.log.info(`Hub: epoch ${epoch} pushed (${staged.length} files): ${c.url}`),
        (e: Error) =>
          this.log.warning(
            `Hub: pushing epoch ${epoch} ${e instanceof CancelledError ? 'was cancelled' : `failed: ${e.message}`}; training goes on, and the final model is pushed at the end`,
          ),
      )
      .finally(() => {
        rmSync(stage, { recursive: true, force: true });
        this.inflight = undefined;
      });
  }

  /** After the run: waits for a push in flight, then commits the final model with its card. */
  async finish(run: { dir: string; metrics: MetricsFile; cancelled: boolean }): Promise<HubOutcome> {
    const base = { repo: this.repo, url: this.url };
    if (this.inflight) {
      this.log.info('Hub: waiting for the push of the last checkpoint to finish');
      await this.inflight;
    }
    if (run.cancelled) {
      const skipped = `training was cancelled: the final model was not pushed to ${this.repo}`;
      this.log.warning(`Hub: ${skipped}`);
      return { ...base, skipped };
    }
    const files = modelFiles(run.dir);
    const card = renderModelCard({
      metrics: run.metrics,
      repoId: this.repo,
      hubUrl: this.conn.hubUrl,
      files: [...files.map((f) => f.path), CARD],
      versions: { textclf: packageVersion(), onnxruntime: ORT_VERSION, transformersJs: transformersEnv.version },
      baseModel: hubModelId(this.flags.model_name_or_path),
    });
    // The card is part of the model directory, as HF's save writes it next to the weights.
    writeFileAtomic(join(run.dir, CARD), card);
    files.push({ path: CARD, file: join(run.dir, CARD) });
    try {
      const commit = await this.log.group(`Push to the Hugging Face Hub: ${this.repo}`, () =>
        commitFiles(this.conn, this.repo, files, 'End of training', this.stop.signal),
      );
      this.log.notice(`Hub: pushed the final model to ${this.repo}: ${commit.url}`);
      return { ...base, commit, files: files.map((f) => f.path) };
    } catch (e) {
      // The host reports it (the CLI's exit code, the action's summary and failed job): one error, not two.
      return {
        ...base,
        error: (e as Error).message,
        retry: `hf upload ${this.repo} ${run.dir} --exclude ${OPTIMIZER_FILE} ${TRAINER_STATE}`,
      };
    }
  }

  /** Aborts a push still in flight and removes the staging links (also after a failed run). */
  async close(): Promise<void> {
    this.stop.abort();
    await this.inflight;
    rmSync(this.staging, { recursive: true, force: true });
  }
}

/** The push's line in a report: the commit as a link, or the failure as a notice. */
export function hubReportParts(
  o: HubOutcome | undefined,
  outputDir: string,
): { links: ArtifactLink[]; notices: string[] } {
  if (!o) return { links: [], notices: [] };
  if (o.commit)
    return {
      links: [{ name: `Hugging Face Hub: ${o.repo} @ ${o.commit.oid.slice(0, 7)}`, url: o.commit.url, files: o.files }],
      notices: [],
    };
  if (o.error)
    return {
      links: [],
      notices: [
        `The push to the Hugging Face Hub (${o.repo}) failed: ${o.error}. Training finished and every result is in ${outputDir}.`,
      ],
    };
  return { links: [], notices: o.skipped ? [`Nothing was pushed to the Hugging Face Hub: ${o.skipped}.`] : [] };
}

/** HF_TOKEN goes to huggingface.co / hf.co over https, or to HF_ENDPOINT's origin (as src/models/hub.ts rules). */
function tokenMayGo(url: URL): boolean {
  let trusted: string | undefined;
  try {
    trusted = process.env.HF_ENDPOINT ? new URL(process.env.HF_ENDPOINT).origin : undefined;
  } catch {
    trusted = undefined;
  }
  return url.origin === trusted || (url.protocol === 'https:' && /^(huggingface\.co|hf\.co)$/.test(url.hostname));
}

/** The base model's Hub id: model_name_or_path when it is not a local directory. */
function hubModelId(model: string): string | undefined {
  if (isAbsolutePath(model) || model.startsWith('.') || existsSync(model)) return undefined;
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(model) ? model : undefined;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      if (name.startsWith('.')) return []; // temp files of an atomic write
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const repoPath = (root: string, file: string) => relative(root, file).split(sep).join('/');

/** The model of a checkpoint dir: config, weights, tokenizer files, onnx/ (not the optimizer state). */
function modelFiles(dir: string): PushFile[] {
  return walk(dir)
    .map((file) => ({ path: repoPath(dir, file), file }))
    .filter((f) => !TRAINING_ONLY.has(f.path));
}

/**
 * The whole checkpoint under `prefix`/, what --resume_from needs. trainer_state.json goes up
 * without local paths: its flags' paths shown by their last names, its epochs without their
 * checkpoint paths (resuming looks those up on the machine and skips missing ones).
 */
function checkpointFiles(dir: string, prefix: string): PushFile[] {
  return walk(dir)
    .filter((file) => repoPath(dir, file) !== CARD)
    .map((file) => {
      const path = `${prefix}/${repoPath(dir, file)}`;
      if (repoPath(dir, file) !== TRAINER_STATE) return { path, file };
      const state = JSON.parse(readFileSync(file, 'utf8')) as {
        flags?: Record<string, unknown>;
        history?: { checkpoint?: string }[];
      };
      for (const [k, v] of Object.entries(state.flags ?? {}))
        if (typeof v === 'string') state.flags![k] = hideLocalPaths(v);
      for (const e of state.history ?? []) delete e.checkpoint;
      return { path, content: `${JSON.stringify(state, null, 2)}\n` };
    });
}

/** Hard links (copies across file systems) of `files` under `dir`; content in memory stays as it is. */
function snapshot(files: PushFile[], dir: string): PushFile[] {
  return files.map((f, i) => {
    if (f.file === undefined) return f;
    const to = join(dir, String(i));
    mkdirSync(dir, { recursive: true });
    try {
      linkSync(f.file, to);
    } catch {
      copyFileSync(f.file, to);
    }
    return { path: f.path, file: to };
  });
}
