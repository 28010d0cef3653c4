// The monitored validation metric, epoch by epoch: which epoch is best (the model checkpoints/final
// and the test use), and early stopping with Lightning's EarlyStopping rule (an improvement is a
// change by more than min_delta in the metric's direction; stop once `patience` epochs in a row
// brought none). Its state travels in checkpoints (the callbacks that use it save it); a checkpoint
// without it, or whose state is of a later epoch than its history (final/ holding the best epoch),
// rebuilds it from the history.
import type { EpochRecord, EvalMetrics, MonitorName } from '../metrics/types.js';

export interface MonitorOptions {
  name: MonitorName;
  /** 0 = no early stopping. */
  patience: number;
  minDelta: number;
}

/** What a checkpoint keeps of a monitor (JSON). */
export interface MonitorState {
  /** The last epoch it saw. */
  epoch: number;
  bestEpoch?: number;
  bestValue?: number;
  reference?: number;
  wait: number;
}

export interface EpochVerdict {
  /** Strictly better than every earlier epoch (the new best model). */
  best: boolean;
  /** Set when early stopping ends training after this epoch. */
  stop?: string;
}

const LABEL: Record<MonitorName, string> = {
  val_loss: 'validation loss',
  val_accuracy: 'validation accuracy',
  val_f1: 'validation F1',
};

export class EpochMonitor {
  readonly mode: 'min' | 'max';
  bestEpoch?: number;
  bestValue?: number;
  /** The value early stopping compares with (moves only by more than min_delta). */
  private reference?: number;
  private wait = 0;
  private seen = 0;

  constructor(readonly o: MonitorOptions) {
    this.mode = o.name === 'val_loss' ? 'min' : 'max';
  }

  static fromHistory(o: MonitorOptions, epochs: readonly EpochRecord[]): EpochMonitor {
    const m = new EpochMonitor(o);
    for (const e of epochs) m.update(e.epoch, e.validation);
    return m;
  }

  /** A saved state when it is of the history's last epoch and well-formed, else the history replayed. */
  static resume(o: MonitorOptions, saved: unknown, epochs: readonly EpochRecord[]): EpochMonitor {
    const last = epochs.length ? epochs[epochs.length - 1].epoch : 0;
    if (!isMonitorState(saved) || saved.epoch !== last) return EpochMonitor.fromHistory(o, epochs);
    const m = new EpochMonitor(o);
    m.seen = saved.epoch;
    m.bestEpoch = saved.bestEpoch;
    m.bestValue = saved.bestValue;
    m.reference = saved.reference;
    m.wait = saved.wait;
    return m;
  }

  state(): MonitorState {
    const { bestEpoch, bestValue, reference, wait } = this;
    return { epoch: this.seen, bestEpoch, bestValue, reference, wait };
  }

  valueOf(v: EvalMetrics): number {
    return this.o.name === 'val_loss' ? v.loss : this.o.name === 'val_accuracy' ? v.accuracy : v.f1;
  }

  /** Records one finished epoch; without validation nothing is compared. */
  update(epoch: number, validation: EvalMetrics | undefined): EpochVerdict {
    this.seen = epoch;
    if (!validation) return { best: false };
    const v = this.valueOf(validation);
    if (!Number.isFinite(v)) return { best: false };
    const better = (a: number, b: number | undefined) => b === undefined || (this.mode === 'min' ? a < b : a > b);
    const best = better(v, this.bestValue);
    if (best) {
      this.bestValue = v;
      this.bestEpoch = epoch;
    }
    const d = this.o.minDelta;
    const improved = better(this.mode === 'min' ? v + d : v - d, this.reference);
    if (improved) {
      this.reference = v;
      this.wait = 0;
    } else {
      this.wait++;
    }
    if (this.o.patience > 0 && this.wait >= this.o.patience) {
      const by = d > 0 ? ` by more than ${d}` : '';
      return {
        best,
        stop: `early stopping after epoch ${epoch}: ${LABEL[this.o.name]} did not improve${by} for ${this.wait} epoch${this.wait === 1 ? '' : 's'} (patience ${this.o.patience}); best ${fmt(this.bestValue)} at epoch ${this.bestEpoch}`,
      };
    }
    return { best };
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '–' : Number(v.toPrecision(6)).toString());

const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const optNum = (v: unknown) => v === undefined || num(v);

function isMonitorState(s: unknown): s is MonitorState {
  if (!s || typeof s !== 'object') return false;
  const m = s as Record<string, unknown>;
  return (
    Number.isInteger(m.epoch) &&
    Number.isInteger(m.wait) &&
    (m.wait as number) >= 0 &&
    (m.bestEpoch === undefined || Number.isInteger(m.bestEpoch)) &&
    optNum(m.bestValue) &&
    optNum(m.reference)
  );
}
