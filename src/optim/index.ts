// Optimizers, clipping and schedules as graph pieces; `makeOptimizer` maps a config to one.
import { adamw, type AdamWConfig } from './adamw.js';
import { sgd, type SGDConfig } from './sgd.js';
import type { GraphOptimizer } from './types.js';

export type OptimizerConfig = AdamWConfig | SGDConfig;

export function makeOptimizer(cfg: OptimizerConfig): GraphOptimizer {
  return cfg.kind === 'adamw' ? adamw(cfg) : sgd(cfg);
}

export { adamw, sgd };
export type { AdamWConfig, SGDConfig, GraphOptimizer };
export { clipGradNorm } from './clip.js';
export { constantSchedule, linearWarmupDecay, lrsFor, type Schedule } from './schedule.js';
