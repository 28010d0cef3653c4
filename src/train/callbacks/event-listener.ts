// Lightning's LambdaCallback for the metrics stream: calls `fn` with every event of the run (steps,
// validations, epochs, the test), after the callbacks before it in the list.
import type { MetricsEvent } from '../../metrics/types.js';
import type { Callback, EpochEnd, TrainerView } from '../callback.js';

export class EventListener implements Callback {
  constructor(readonly fn: (e: MetricsEvent) => void) {}

  onTrainStepEnd(_t: TrainerView, e: MetricsEvent): void {
    this.fn(e);
  }

  onValidationEnd(_t: TrainerView, e: MetricsEvent): void {
    this.fn(e);
  }

  onEpochEnd(_t: TrainerView, { event }: EpochEnd): void {
    this.fn(event);
  }

  onTestEnd(_t: TrainerView, e: MetricsEvent): void {
    this.fn(e);
  }
}
