// Append-only JSONL files: metrics.jsonl (every event) and the user's --log_file (one line per step).
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirsSync } from '../util/make-dirs.js';

export class JsonlWriter {
  constructor(
    readonly path: string,
    append = false,
  ) {
    makeDirsSync(dirname(path));
    if (!append) writeFileSync(path, '');
  }
  write(obj: unknown): void {
    appendFileSync(this.path, JSON.stringify(obj) + '\n');
  }
}
