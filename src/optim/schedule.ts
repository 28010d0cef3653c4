// Learning-rate schedules, evaluated in TypeScript and fed to the step graph as an [K] lr vector,
// so changing a schedule never rebuilds the graph.

/** lr for the optimizer step that follows `step` completed steps (0-based, as torch's LambdaLR). */
export type Schedule = (step: number) => number;

export function constantSchedule(lr: number): Schedule {
  return () => lr;
}

/**
 * Hugging Face get_linear_schedule_with_warmup: lr * step/warmup during warmup (so 0 at the very
 * first step when warmup > 0), then linear decay to 0 at `totalSteps`.
 */
export function linearWarmupDecay(lr: number, warmupSteps: number, totalSteps: number): Schedule {
  if (!(warmupSteps >= 0) || !Number.isInteger(warmupSteps))
    throw new RangeError(`warmup_steps must be an integer >= 0, got ${warmupSteps}`);
  if (!(totalSteps >= 0) || !Number.isInteger(totalSteps))
    throw new RangeError(`total steps must be an integer >= 0, got ${totalSteps}`);
  return (step) => {
    // Same operation order as LambdaLR: base_lr * lambda(step).
    if (step < warmupSteps) return lr * (step / Math.max(1, warmupSteps));
    return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** The lrs of the `k` optimizer steps that follow `step` completed steps. */
export function lrsFor(schedule: Schedule, step: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => schedule(step + i));
}
