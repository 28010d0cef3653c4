// Append-only JSONL streams: metrics.jsonl (all events) and the user's --log_file (one line per step).
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricsEvent } from '../metrics/types.js';
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

export class EventStream {
  private readonly listeners: ((e: MetricsEvent) => void)[] = [];
  constructor(
    private readonly metrics: JsonlWriter,
    private readonly stepLog?: JsonlWriter,
  ) {}
  on(listener: (e: MetricsEvent) => void): void {
    this.listeners.push(listener);
  }
  emit(e: MetricsEvent): void {
    this.metrics.write(e);
    if (e.type === 'step' && this.stepLog) {
      this.stepLog.write({
        step: e.step,
        epoch: e.epoch,
        loss: e.loss,
        lr: e.lr,
        grad_norm: e.gradNorm,
        ...(e.lossScale !== undefined && { loss_scale: e.lossScale, skipped: e.skipped }),
        samples_per_s: e.samplesPerSec,
      });
    }
    for (const l of this.listeners) l(e);
  }
}
