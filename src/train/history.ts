// A resumed run continues the history of the run it resumes: its epoch records travel in the
// checkpoint's trainer_state.json (as Hugging Face's log_history does), and its metrics stream
// is read from the metrics.jsonl of the output_dir the checkpoint was saved in (also inside a
// downloaded artifact), up to the checkpoint's step.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EpochRecord, MetricsEvent } from '../metrics/types.js';
import type { TrainerState } from './checkpoint.js';

export interface History {
  epochs: EpochRecord[];
  events: MetricsEvent[];
}

export function priorHistory(checkpointDir: string, meta: TrainerState): History {
  const root = dirname(checkpointDir);
  const inRun = basename(root) === 'checkpoints';
  // Checkpoints written before trainer_state.json carried the history: the run's metrics.json.
  const epochs = (meta.history ?? (inRun ? epochsOf(join(dirname(root), 'metrics.json')) : [])).filter(
    (e) => e.epoch <= meta.epoch,
  );
  const jsonl = join(dirname(root), 'metrics.jsonl');
  const events: MetricsEvent[] = [];
  if (inRun && existsSync(jsonl)) {
    for (const line of readFileSync(jsonl, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: MetricsEvent;
      try {
        e = JSON.parse(line) as MetricsEvent;
      } catch {
        continue; // a line cut short by a crash: the rest is still history
      }
      // Only what the checkpoint had seen; a test belongs to the finished run, not to its history.
      if (e.type !== 'test' && typeof e.step === 'number' && e.step <= meta.step) events.push(e);
    }
  }
  return { epochs, events };
}

function epochsOf(file: string): EpochRecord[] {
  if (!existsSync(file)) return [];
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as { epochs?: unknown };
    return Array.isArray(m.epochs) ? (m.epochs as EpochRecord[]) : [];
  } catch {
    return [];
  }
}
