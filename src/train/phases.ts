// Where a run's wall time goes, per phase a user can act on (metrics.json `run.phases`): the
// prepare/fit/finish code wraps each phase's calls in time().
import type { PhaseSeconds } from '../metrics/types.js';

export type Phase = keyof PhaseSeconds;

export class PhaseClock {
  readonly seconds: PhaseSeconds = {};

  add(phase: Phase, seconds: number): void {
    this.seconds[phase] = (this.seconds[phase] ?? 0) + seconds;
  }

  /** Runs `fn` and adds its duration (also when it throws) to `phase`. */
  async time<T>(phase: Phase, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, (performance.now() - t0) / 1000);
    }
  }

  /** The sum of the given phases so far (to take nested phases out of an enclosing one). */
  total(...phases: Phase[]): number {
    return phases.reduce((a, p) => a + (this.seconds[p] ?? 0), 0);
  }
}
