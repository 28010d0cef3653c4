// `--resume_from last` (Hugging Face Trainer's resume_from_checkpoint=True): the checkpoint under
// <output_dir>/checkpoints with the most training done, read from each one's trainer_state.json —
// the most optimizer steps (`step`), then the most epochs; on a tie a mid-epoch `interrupted` one,
// then epoch-N, then `final` (which may hold an earlier, best epoch). File times play no part (a
// copy or an artifact download changes them). Directories without a readable trainer_state.json
// and optimizer state are not checkpoints one can resume.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, OPTIMIZER_FILE, TRAINER_STATE } from './checkpoint.js';

export const LAST = 'last';

const TIE_ORDER = (name: string) => (name === 'interrupted' ? 2 : name === 'final' ? 0 : 1);

/** The newest resumable checkpoint dir under `outputDir`/checkpoints; throws when there is none. */
export function latestCheckpoint(outputDir: string): string {
  const root = join(outputDir, 'checkpoints');
  const found: { dir: string; name: string; step: number; epoch: number }[] = [];
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const dir = join(root, name);
    if (name.startsWith('.') || !statSync(dir).isDirectory() || !existsSync(join(dir, OPTIMIZER_FILE))) continue;
    try {
      const s = JSON.parse(readFileSync(join(dir, TRAINER_STATE), 'utf8')) as { step?: unknown; epoch?: unknown };
      if (Number.isInteger(s.step) && Number.isInteger(s.epoch))
        found.push({ dir, name, step: s.step as number, epoch: s.epoch as number });
    } catch {
      // no (readable) trainer state: not a checkpoint to resume
    }
  }
  if (!found.length)
    throw new CheckpointError(
      `resume_from last: ${root} has no checkpoint to resume (none with ${TRAINER_STATE} and ${OPTIMIZER_FILE}). Fix: drop --resume_from to start a new run, or name a checkpoint directory.`,
    );
  found.sort((a, b) => b.step - a.step || b.epoch - a.epoch || TIE_ORDER(b.name) - TIE_ORDER(a.name));
  return found[0]!.dir;
}
