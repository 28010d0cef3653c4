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
  const epochs = (meta.history ?? []).filter((e) => e.epoch <= meta.epoch);
  const root = dirname(checkpointDir);
  const jsonl = join(dirname(root), 'metrics.jsonl');
  const events: MetricsEvent[] = [];
  if (basename(root) === 'checkpoints' && existsSync(jsonl)) {
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
