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
  checkSteps(warmupSteps, totalSteps);
  return (step) => {
    // Same operation order as LambdaLR: base_lr * lambda(step).
    if (step < warmupSteps) return lr * (step / Math.max(1, warmupSteps));
    return lr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

export type ScheduleKind = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';

/**
 * Hugging Face get_cosine_schedule_with_warmup (num_cycles 0.5): the warmup of the linear schedule,
 * then half a cosine from lr down to 0 at `totalSteps`.
 */
export function cosineWarmupDecay(lr: number, warmupSteps: number, totalSteps: number): Schedule {
  checkSteps(warmupSteps, totalSteps);
  return (step) => {
    if (step < warmupSteps) return lr * (step / Math.max(1, warmupSteps));
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
  };
}

/** Hugging Face get_constant_schedule_with_warmup: the linear warmup, then lr. */
export function constantWithWarmup(lr: number, warmupSteps: number): Schedule {
  checkSteps(warmupSteps, 0);
  return (step) => (step < warmupSteps ? lr * (step / Math.max(1, warmupSteps)) : lr);
}

/** The schedule `kind` (flag lr_scheduler) over `totalSteps` optimizer steps. */
export function makeSchedule(kind: ScheduleKind, lr: number, warmupSteps: number, totalSteps: number): Schedule {
  switch (kind) {
    case 'linear':
      return linearWarmupDecay(lr, warmupSteps, totalSteps);
    case 'cosine':
      return cosineWarmupDecay(lr, warmupSteps, totalSteps);
    case 'constant':
      return constantSchedule(lr);
    case 'constant_with_warmup':
      return constantWithWarmup(lr, warmupSteps);
  }
}

/** Hugging Face's rule: warmup_steps when > 0, else ceil(total * warmup_ratio). */
export function warmupStepsFor(warmupSteps: number, warmupRatio: number, totalSteps: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}

function checkSteps(warmupSteps: number, totalSteps: number): void {
  if (!(warmupSteps >= 0) || !Number.isInteger(warmupSteps))
    throw new RangeError(`warmup_steps must be an integer >= 0, got ${warmupSteps}`);
  if (!(totalSteps >= 0) || !Number.isInteger(totalSteps))
    throw new RangeError(`total steps must be an integer >= 0, got ${totalSteps}`);
}

/** The lrs of the `k` optimizer steps that follow `step` completed steps. */
export function lrsFor(schedule: Schedule, step: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => schedule(step + i));
}
