// metrics.jsonl: every event of the run, one JSON line each (steps, validations, epochs, the test).
// A resumed run rewrites it: the resumed run's events up to its checkpoint first, then this run's.
import type { MetricsEvent } from '../../metrics/types.js';
import type { Callback, EpochEnd, TrainerView } from '../callback.js';
import { JsonlWriter } from '../jsonl.js';
import type { RunResult } from '../run-result.js';

export class MetricsJsonl implements Callback {
  private writer?: JsonlWriter;

  constructor(readonly path: string) {}

  onFitStart(t: TrainerView): void {
    this.writer = new JsonlWriter(this.path);
    for (const e of t.priorEvents) this.writer.write(e);
  }

  onTrainStepEnd(_t: TrainerView, e: MetricsEvent): void {
    this.writer?.write(e);
  }

  onValidationEnd(_t: TrainerView, e: MetricsEvent): void {
    this.writer?.write(e);
  }

  onEpochEnd(_t: TrainerView, { event }: EpochEnd): void {
    this.writer?.write(event);
  }

  onTestEnd(_t: TrainerView, e: MetricsEvent): void {
    this.writer?.write(e);
  }

  onRunEnd(_t: TrainerView, result: RunResult): void {
    result.files.push(this.path);
  }
}
