// TensorBoard: event files of the run's scalars (report/tensorboard.ts) under <output_dir>/tensorboard,
// written once the run's results are: one file with the whole history (a resumed run's earlier
// steps included) replaces any older one.
import { rmSync } from 'node:fs';
import type { MetricsEvent } from '../../metrics/types.js';
import { writeTensorBoard } from '../../report/tensorboard.js';
import type { Callback, EpochEnd, TrainerView } from '../callback.js';
import type { RunResult } from '../run-result.js';

export class TensorBoard implements Callback {
  private events: MetricsEvent[] = [];

  constructor(readonly logdir: string) {}

  onFitStart(t: TrainerView): void {
    this.events = [...t.priorEvents];
  }

  onTrainStepEnd(_t: TrainerView, e: MetricsEvent): void {
    this.events.push(e);
  }

  onValidationEnd(_t: TrainerView, e: MetricsEvent): void {
    this.events.push(e);
  }

  onEpochEnd(_t: TrainerView, { event }: EpochEnd): void {
    this.events.push(event);
  }

  onTestEnd(_t: TrainerView, e: MetricsEvent): void {
    this.events.push(e);
  }

  onRunEnd(_t: TrainerView, result: RunResult): void {
    rmSync(this.logdir, { recursive: true, force: true });
    result.files.push(...writeTensorBoard(this.events, this.logdir));
  }
}
