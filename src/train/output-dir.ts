// One run per output_dir. A directory that holds another run's results (metrics, checkpoints,
// TensorBoard files) is refused, so two runs never mix; --overwrite_output_dir removes them first;
// resuming from a checkpoint inside the directory continues that run (later epochs it had are
// dropped: training replaces them).
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { FlagError } from '../config/parse.js';
import type { Logger } from '../util/logger.js';

/** What a run writes into output_dir (predictions and step logs go where their flags say). */
const RUN_ENTRIES = ['metrics.json', 'metrics.jsonl', 'report.md', 'predictions.csv', 'checkpoints', 'tensorboard'];

export interface OutputDirOptions {
  overwrite: boolean;
  /** The checkpoint being resumed (absolute), if any. */
  resumeDir?: string;
  /** Epochs completed in that checkpoint. */
  resumeEpoch?: number;
  log: Logger;
}

/** The run entries `dir` holds (empty when it holds no run). */
export function runEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return RUN_ENTRIES.filter((e) => {
    const p = join(dir, e);
    if (!existsSync(p)) return false;
    return !statSync(p).isDirectory() || readdirSync(p).length > 0;
  });
}

/** Checks and clears `dir` for a run (see the header); throws a FlagError naming the fixes. */
export function prepareOutputDir(dir: string, o: OutputDirOptions): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new FlagError('output_dir', `output_dir ${dir} is a file; set --output_dir to a directory`);
  const held = runEntries(dir);
  if (held.length === 0) return;
  const root = join(dir, 'checkpoints');
  const inside = o.resumeDir && isInside(root, o.resumeDir);
  if (inside) {
    // Continuing this run: checkpoints of epochs after the resumed one (and the final model) are
    // from the attempt being replaced.
    for (const name of readdirSync(root)) {
      const p = join(root, name);
      if (p === o.resumeDir || isInside(p, o.resumeDir!)) continue;
      const m = /^epoch-(\d+)$/.exec(name);
      if (name === 'final' || (m && Number(m[1]) > (o.resumeEpoch ?? 0))) rmSync(p, { recursive: true, force: true });
    }
    return;
  }
  if (!o.overwrite)
    throw new FlagError(
      'output_dir',
      `output_dir ${dir} holds another run (${held.join(', ')}); set --overwrite_output_dir to replace it, ` +
        `--resume_from ${join(dir, 'checkpoints', '<epoch-N|interrupted>')} to continue it, or choose another --output_dir`,
    );
  for (const e of held) rmSync(join(dir, e), { recursive: true, force: true });
  o.log.notice(`overwrite_output_dir: removed the previous run's ${held.join(', ')} from ${dir}`);
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!!rel && !rel.startsWith('..') && !rel.startsWith(sep));
}
