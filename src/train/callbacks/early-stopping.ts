// Early stopping (Lightning's EarlyStopping rule, in monitor.ts): after each epoch with validation,
// the fit stops once `patience` epochs in a row brought no improvement of the monitored metric by
// more than min_delta. State: its monitor (the reference value and the epochs waited), saved in each
// checkpoint, so a resumed run goes on counting where the checkpoint was.
import type { Callback, EpochEnd, TrainerView } from '../callback.js';
import { EpochMonitor, type MonitorOptions } from '../monitor.js';

export class EarlyStopping implements Callback {
  readonly stateKey = 'EarlyStopping';
  private monitor: EpochMonitor;
  private saved?: unknown;

  constructor(readonly o: MonitorOptions) {
    this.monitor = new EpochMonitor(o);
  }

  stateDict(): unknown {
    return { monitor: this.monitor.state() };
  }

  loadStateDict(state: unknown): void {
    this.saved = (state as { monitor?: unknown } | null)?.monitor;
  }

  onFitStart(t: TrainerView): void {
    this.monitor = EpochMonitor.resume(this.o, this.saved, t.epochs);
  }

  onEpochEnd(t: TrainerView, { record }: EpochEnd): void {
    const verdict = this.monitor.update(record.epoch, record.validation);
    if (verdict.stop) t.stop({ reason: 'early_stopping', epoch: record.epoch, message: verdict.stop });
  }
}
