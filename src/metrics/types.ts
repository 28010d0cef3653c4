// The run record: metrics.json (final) and metrics.jsonl (a stream of events). Reports, the job
// summary, TensorBoard files, PR comments and baselines all read these shapes.
import type { DatasetStats } from '../data/stats.js';

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvalMetrics {
  loss: number;
  accuracy: number;
  /** macro averages */
  precision: number;
  recall: number;
  f1: number;
  perClass: ClassScores[];
  /** confusion[true][predicted], label order = MetricsFile.labels */
  confusion: number[][];
  samples: number;
}

export interface EpochRecord {
  epoch: number;
  step: number;
  trainLoss: number;
  validation?: EvalMetrics;
  seconds: number;
  checkpoint?: string;
}

export interface RunInfo {
  model: string;
  datastore?: string;
  flags: Record<string, string | number | boolean | undefined>;
  device: string;
  /** Why this device (the `device`/`gpus` request and what the preflight found). */
  deviceReason?: string;
  gpu?: { name: string; memoryMiB?: number; driver?: string }[];
  startedAt: string;
  finishedAt?: string;
  wallSeconds?: number;
  samplesPerSecond?: number;
  totalSteps: number;
  commit?: string;
  numParameters: number;
  cancelled?: boolean;
}

export interface MetricsFile {
  version: 1;
  labels: string[];
  run: RunInfo;
  epochs: EpochRecord[];
  bestEpoch?: number;
  test?: EvalMetrics;
  dataset?: DatasetStats;
  checkpoints: { epoch: number | 'final'; path: string }[];
}

/** One line of metrics.jsonl. */
export type MetricsEvent =
  | {
      type: 'step';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      /** Global gradient norm before clipping (what torch's clip_grad_norm_ returns). */
      gradNorm?: number;
      samplesPerSec: number;
      time: number;
    }
  | { type: 'validation'; step: number; epoch: number; metrics: EvalMetrics; time: number }
  | { type: 'epoch'; step: number; epoch: number; trainLoss: number; time: number }
  | { type: 'test'; step: number; metrics: EvalMetrics; time: number };
