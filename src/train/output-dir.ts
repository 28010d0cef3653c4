// One run per output_dir. A directory that holds another run's results (metrics.json or a
// checkpoint) is refused, so two runs never mix; --overwrite_output_dir replaces it; resuming from
// a checkpoint inside the directory continues that run (later epochs it had are dropped: training
// replaces them).
//
// Nothing is removed while the run is being prepared: `planOutputDir` only checks (before the
// datastore, the model and the device are), and `claimOutputDir` acts once training is about to
// start. Even then the previous run is only moved aside, into PREVIOUS; it is removed after the new
// run's first checkpoint (`settle`), and put back if the new run fails before one (`abandon`). A
// process killed in between leaves PREVIOUS, and the next run in that directory puts it back.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { FlagError, type Flags } from '../config/parse.js';
import { commandsOf, FLAGS, type Command, type FlagSpec } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { makeDirsSync } from '../util/make-dirs.js';
import { checkOutputDir, checkOutputFile } from '../util/output-dir.js';

/** What a run writes into output_dir (predictions and step logs go where their flags say). */
const RUN_ENTRIES = ['metrics.json', 'metrics.jsonl', 'report.md', 'predictions.csv', 'checkpoints', 'tensorboard'];
/** Where an overwrite keeps the previous run until the new one has a checkpoint. */
export const PREVIOUS = '.textclf-previous-run';

export interface OutputDirOptions {
  overwrite: boolean;
  /** The checkpoint being resumed (absolute), if any. */
  resumeDir?: string;
  /** Epochs completed in that checkpoint. */
  resumeEpoch?: number;
  log: Logger;
}

export interface OutputDirPlan {
  dir: string;
  /** Paths (relative to dir) of another run to move aside: the replaced run, or the resumed run's later epochs. */
  aside: string[];
  /** Paths (relative to dir) of a run that left no result (no metrics.json, no checkpoint): removed. */
  leftovers: string[];
  /** Continuing the run in dir: its own files stay and are not removed on failure. */
  resuming: boolean;
}

/**
 * Checks every output path `flags` set for `command` (the schema's `writes` flags) before any
 * work: a clear error naming the flag and the fix, instead of a raw EISDIR/ENOTDIR after training.
 */
export function checkOutputFlags(flags: Flags, command: Command): void {
  for (const s of FLAGS as readonly FlagSpec[]) {
    const value = flags[s.name];
    if (!s.writes || typeof value !== 'string' || !value || !commandsOf(s).includes(command)) continue;
    if (s.writes === 'folder') checkOutputDir(value, s.name);
    else checkOutputFile(value, s.name, s.writes.file);
  }
}

/** The run entries `dir` holds: files with content and folders with entries. */
export function runEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return RUN_ENTRIES.filter((e) => {
    const p = join(dir, e);
    if (!existsSync(p)) return false;
    const s = statSync(p);
    return s.isDirectory() ? readdirSync(p).length > 0 : s.size > 0;
  });
}

/** A run worth keeping has results: metrics.json or a checkpoint. */
const isRun = (held: string[]) => held.includes('metrics.json') || held.includes('checkpoints');

/** Checks `dir` for a run (see the header) and says what claiming it will do; writes nothing but a repair. */
export function planOutputDir(dir: string, o: OutputDirOptions): OutputDirPlan {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new FlagError('output_dir', `output_dir ${dir} is a file; set --output_dir to a directory`);
  restoreInterrupted(dir, o.log);
  const held = runEntries(dir);
  const plan: OutputDirPlan = { dir, aside: [], leftovers: [], resuming: false };
  if (held.length === 0) return plan;
  const root = join(dir, 'checkpoints');
  if (o.resumeDir && isInside(root, o.resumeDir)) {
    // Continuing this run: checkpoints of epochs after the resumed one (and the final model) are
    // from the attempt being replaced.
    plan.resuming = true;
    for (const name of readdirSync(root)) {
      const p = join(root, name);
      if (p === o.resumeDir || isInside(p, o.resumeDir)) continue;
      const m = /^epoch-(\d+)$/.exec(name);
      if (name === 'final' || (m && Number(m[1]) > (o.resumeEpoch ?? 0))) plan.aside.push(join('checkpoints', name));
    }
    return plan;
  }
  if (!isRun(held)) {
    plan.leftovers = held;
    return plan;
  }
  if (!o.overwrite)
    throw new FlagError(
      'output_dir',
      `output_dir ${dir} holds another run (${held.join(', ')}); set --overwrite_output_dir to replace it, ` +
        `--resume_from ${join(dir, 'checkpoints', '<epoch-N|interrupted>')} to continue it, or choose another --output_dir`,
    );
  plan.aside = RUN_ENTRIES.filter((e) => existsSync(join(dir, e)));
  return plan;
}

export interface OutputDirClaim {
  /** The new run has a checkpoint: the previous run goes for good. Idempotent. */
  settle(): void;
  /** The new run failed before its first checkpoint: its files go, the previous run comes back. */
  abandon(): void;
}

/** Makes `plan.dir` the new run's: moves the previous run aside, removes leftovers, creates checkpoints/. */
export function claimOutputDir(plan: OutputDirPlan, log: Logger): OutputDirClaim {
  const { dir } = plan;
  const previous = join(dir, PREVIOUS);
  for (const e of plan.leftovers) rmSync(join(dir, e), { recursive: true, force: true });
  if (plan.leftovers.length)
    log.notice(`output_dir: removed ${plan.leftovers.join(', ')}, left by a run that saved no checkpoint`);
  for (const e of plan.aside) {
    makeDirsSync(dirname(join(previous, e)));
    renameSync(join(dir, e), join(previous, e));
  }
  if (plan.aside.length && !plan.resuming)
    log.notice(
      `overwrite_output_dir: the previous run's ${plan.aside.join(', ')} moved aside to ${previous}; removed after this run's first checkpoint, put back if it fails before one`,
    );
  makeDirsSync(join(dir, 'checkpoints'));
  let open = true;
  return {
    settle() {
      if (!open) return;
      open = false;
      rmSync(previous, { recursive: true, force: true });
    },
    abandon() {
      if (!open) return;
      open = false;
      if (!plan.resuming) for (const e of RUN_ENTRIES) rmSync(join(dir, e), { recursive: true, force: true });
      else rmEmpty(join(dir, 'checkpoints'));
      putBack(dir, plan.aside);
      if (plan.aside.length && !plan.resuming)
        log.notice(`output_dir: this run saved no checkpoint; the previous run's ${plan.aside.join(', ')} are back`);
    },
  };
}

/** Moves the entries of PREVIOUS back into `dir` (overwriting what is there) and removes it. */
function putBack(dir: string, entries: string[]): void {
  const previous = join(dir, PREVIOUS);
  for (const e of entries) {
    const from = join(previous, e);
    if (!existsSync(from)) continue;
    rmSync(join(dir, e), { recursive: true, force: true });
    makeDirsSync(dirname(join(dir, e)));
    renameSync(from, join(dir, e));
  }
  rmSync(previous, { recursive: true, force: true });
}

/** A run killed between moving the previous run aside and its first checkpoint: the previous run comes back. */
function restoreInterrupted(dir: string, log: Logger): void {
  const previous = join(dir, PREVIOUS);
  if (!existsSync(previous)) return;
  const held = runEntries(dir);
  if (held.includes('checkpoints')) {
    // That run got as far as a checkpoint: it replaced the previous one.
    rmSync(previous, { recursive: true, force: true });
    return;
  }
  const entries = [
    ...readdirSync(previous).filter((e) => e !== 'checkpoints'),
    ...(existsSync(join(previous, 'checkpoints'))
      ? readdirSync(join(previous, 'checkpoints')).map((e) => join('checkpoints', e))
      : []),
  ];
  for (const e of held) rmSync(join(dir, e), { recursive: true, force: true });
  putBack(dir, entries);
  log.notice(
    `output_dir: a run that was replacing ${dir} stopped before its first checkpoint; the previous run is back (${entries.join(', ')})`,
  );
}

function rmEmpty(path: string): void {
  if (existsSync(path) && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!!rel && !rel.startsWith('..') && !rel.startsWith(sep));
}
