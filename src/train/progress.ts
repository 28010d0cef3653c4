// Terminal progress: one line at most every `everySeconds`, with throughput and ETA.
import { formatDuration } from '../util/duration.js';

export interface ProgressState {
  step: number;
  totalSteps: number;
  epoch: number;
  maxEpochs: number;
  loss: number;
  samples: number;
}

export class Progress {
  private lastPrint = 0;
  private readonly start = Date.now();
  constructor(
    private readonly print: (line: string) => void,
    private readonly everySeconds = 10,
  ) {}

  update(s: ProgressState, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastPrint < this.everySeconds * 1000) return;
    this.lastPrint = now;
    this.print(progressLine(s, (now - this.start) / 1000));
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
