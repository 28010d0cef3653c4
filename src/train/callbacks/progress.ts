// Progress for people: a line at most every `everySeconds` (throughput, ETA), a log section per
// epoch where the logger has them (the action's collapsible groups: opened by the epoch's first
// step, closed before the epoch's summary line so that line stays visible), and that line (which
// says when the epoch is the best so far by the monitored metric).
import type { MonitorName } from '../../metrics/types.js';
import { formatDuration } from '../../util/duration.js';
import type { Callback, EpochEnd, StepEvent, TrainerView } from '../callback.js';
import { EpochMonitor } from '../monitor.js';

export interface ProgressState {
  step: number;
  totalSteps: number;
  epoch: number;
  maxEpochs: number;
  loss: number;
  samples: number;
}

export interface ProgressOptions {
  /** Seconds between progress lines (CLI 10, action 30). */
  everySeconds?: number;
  /** The monitored metric: the epoch line says when an epoch is the best by it so far. */
  monitor?: MonitorName;
}

export class Progress implements Callback {
  private lastPrint = 0;
  private start = Date.now();
  private openEpoch = 0;
  private best?: EpochMonitor;

  constructor(readonly o: ProgressOptions = {}) {}

  onFitStart(t: TrainerView): void {
    this.start = Date.now();
    if (this.o.monitor)
      this.best = EpochMonitor.fromHistory({ name: this.o.monitor, patience: 0, minDelta: 0 }, t.epochs);
  }

  onTrainStepEnd(t: TrainerView, e: StepEvent): void {
    if (e.epoch !== this.openEpoch) {
      this.openEpoch = e.epoch;
      t.log.section?.(`Epoch ${e.epoch}/${t.maxEpochs}`);
    }
    const now = Date.now();
    if (now - this.lastPrint < (this.o.everySeconds ?? 10) * 1000) return;
    this.lastPrint = now;
    const state = { step: e.step, totalSteps: t.totalSteps, epoch: e.epoch, maxEpochs: t.maxEpochs, loss: e.loss };
    t.log.info(progressLine({ ...state, samples: t.samples }, (now - this.start) / 1000));
  }

  onEpochEnd(t: TrainerView, { record: r }: EpochEnd): void {
    this.endSection(t);
    const v = r.validation;
    const best = v && this.best?.update(r.epoch, v).best ? ` (best ${this.o.monitor} so far)` : '';
    t.log.info(
      `epoch ${r.epoch}: train loss ${r.trainLoss.toFixed(4)}${v ? `, validation loss ${v.loss.toFixed(4)} accuracy ${(v.accuracy * 100).toFixed(2)}% F1 ${v.f1.toFixed(4)}` : ''}${best} (${r.seconds.toFixed(1)} s)`,
    );
  }

  /** The fit is over (a cancel ends it mid-epoch): what follows (the test, the upload) is not the epoch's. */
  onCancel(t: TrainerView): void {
    this.endSection(t);
  }

  onFitEnd(t: TrainerView): void {
    this.endSection(t);
  }

  onException(t: TrainerView): void {
    this.endSection(t);
  }

  teardown(t: TrainerView): void {
    this.endSection(t);
  }

  private endSection(t: TrainerView): void {
    if (this.openEpoch) t.log.endSection?.();
    this.openEpoch = 0;
  }
}

export function progressLine(s: ProgressState, elapsed: number): string {
  const rate = elapsed > 0 ? s.samples / elapsed : 0;
  const perStep = s.step > 0 ? elapsed / s.step : 0;
  const eta = perStep * Math.max(0, s.totalSteps - s.step);
  const pct = s.totalSteps ? ((100 * s.step) / s.totalSteps).toFixed(1) : '0.0';
  return (
    `epoch ${s.epoch}/${s.maxEpochs} step ${s.step}/${s.totalSteps} (${pct}%) loss ${s.loss.toFixed(4)} ` +
    `${rate.toFixed(1)} samples/s elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}`
  );
}
