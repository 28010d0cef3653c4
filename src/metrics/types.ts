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
  /** Multi-label: subset accuracy (every label of the row right), as sklearn's accuracy_score. */
  accuracy: number;
  /** macro averages */
  precision: number;
  recall: number;
  f1: number;
  /** Multi-label: per label, support = rows that have it. */
  perClass: ClassScores[];
  /** confusion[true][predicted], label order = MetricsFile.labels (empty for multi-label) */
  confusion: number[][];
  samples: number;
  /** Multi-label only: the micro averages, Hamming loss and the threshold the predictions used. */
  multiLabel?: MultiLabelScores;
}

export interface MultiLabelScores {
  threshold: number;
  subsetAccuracy: number;
  /** Fraction of (row, label) pairs predicted wrong. */
  hammingLoss: number;
  microPrecision: number;
  microRecall: number;
  microF1: number;
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
  /**
   * The CUDA provider build the run's onnxruntime-node carries, when CUDA was considered and textclf
   * provisioned it: which build, why (GPU, compute capability, driver), where from, where it is.
   */
  cudaProvider?: {
    build: '12' | '13';
    reason: string;
    version: string;
    source: string;
    cachedAt: string;
    sha512?: string;
    fallback?: string;
  };
  startedAt: string;
  finishedAt?: string;
  wallSeconds?: number;
  samplesPerSecond?: number;
  /** Mixed precision: the --precision value, the steps loss scaling skipped, and the last loss scale. */
  mixedPrecision?: { precision: string; skippedSteps: number; lossScale: number };
  totalSteps: number;
  commit?: string;
  numParameters: number;
  cancelled?: boolean;
  /** Copies versus compute over the run's ONNX Runtime runs. */
  transfers?: TransferInfo;
  /** The output directory, absolute (reports show the run's paths relative to it). */
  outputDir?: string;
  /** Where the wall time went (seconds per phase); the rest of wallSeconds is writing results. */
  phases?: PhaseSeconds;
}

/** Seconds per phase of a run, the ones a user can act on. Each is absent when not measured. */
export interface PhaseSeconds {
  /** Before the run: the action's bootstrap finding or downloading onnxruntime-node (not in wallSeconds). */
  provisioning?: number;
  /** The datastore and the model files: downloads, or the cache lookups when cached. */
  download?: number;
  /** Reading and tokenizing the splits (or loading them from the token cache). */
  tokenizing?: number;
  /** Choosing the device, loading the weights, building the training graph and its sessions. */
  setup?: number;
  /** Optimizer steps (the epochs less their validation and checkpoints). */
  training?: number;
  /** Validation after each epoch and the test split. */
  evaluation?: number;
  /** Saving checkpoints (epochs, final, interrupted) and loading the best one back. */
  checkpoints?: number;
}

/** Bytes moved through host memory and seconds outside/inside `session.run`, over runs of one kind. */
export interface RunCopies {
  /** ONNX Runtime session runs. */
  runs: number;
  /** Bytes fed from host memory (batches, scalars; the state unless it stays on the device). */
  uploadBytes: number;
  /** Bytes of outputs returned to host memory. */
  downloadBytes: number;
  /** Seconds outside session.run: building feeds, reading outputs into numbers. */
  hostSeconds: number;
  /** Seconds inside session.run: compute, plus ONNX Runtime's own copies of the bytes above. */
  runSeconds: number;
  /** The same per session run (means). */
  perRun: { uploadBytes: number; downloadBytes: number; hostSeconds: number; runSeconds: number };
}

export interface TransferInfo {
  /** Where the training state lived between runs: on the device (WebGPU, resident) or in host memory. */
  state: 'host' | 'device';
  /** Bytes of one copy of the training state (parameters and optimizer slots). */
  stateBytes: number;
  train: RunCopies;
  eval?: RunCopies;
  /** Device state read back to host memory (checkpoints). */
  readback?: RunCopies;
  /** Host state (initial, or loaded from a checkpoint) put on the device before evaluation. */
  upload?: RunCopies;
}

/** The validation metric that picks the best epoch and that early stopping watches. */
export type MonitorName = 'val_loss' | 'val_accuracy' | 'val_f1';

export interface TaskInfo {
  problemType: 'single_label_classification' | 'multi_label_classification';
  /** The loss weights in label order (single-label: per class; multi-label: BCE pos_weight), when set. */
  classWeights?: number[];
  /** How they were chosen: balanced or given. */
  classWeightsFrom?: 'balanced' | 'given';
  labelSmoothing?: number;
  /** Multi-label decision threshold. */
  threshold?: number;
}

/** Where a Hub dataset's splits came from: which of its splits (or files) each of ours is. */
export interface DataSource {
  /** hf://datasets/owner/name */
  datastore: string;
  /** The commit read. */
  revision: string;
  /** The dataset config (subset). */
  config: string;
  /** Our split -> the dataset's split name (or the file a flag named). */
  splits: Partial<Record<'train' | 'valid' | 'test', string>>;
  /** The files are the Hub's Parquet conversion (refs/convert/parquet). */
  converted?: boolean;
  /** Label columns whose names came from the dataset card (ClassLabel). */
  classLabels?: string[];
}

export interface MetricsFile {
  version: 1;
  labels: string[];
  run: RunInfo;
  task?: TaskInfo;
  epochs: EpochRecord[];
  /** The best validation epoch by `monitor`. */
  bestEpoch?: number;
  monitor?: { name: MonitorName; mode: 'min' | 'max'; best?: number };
  /** The epoch whose weights are checkpoints/final and whose test metrics are `test` (test_on best|last). */
  finalEpoch?: number;
  testOn?: 'best' | 'last';
  /** Why training ended before max_epochs (early stopping, max_steps). */
  stopped?: { reason: 'early_stopping' | 'max_steps'; epoch: number; message: string };
  /** Where the run continued from (its earlier epochs are in `epochs`). */
  resumedFrom?: { checkpoint: string; epoch: number; step: number };
  test?: EvalMetrics;
  dataset?: DatasetStats;
  /** A Hub dataset: how its splits map onto train/valid/test. */
  dataSource?: DataSource;
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
      /** Mixed precision: the step was skipped (non-finite gradients; the weights did not change), and its loss scale. */
      skipped?: boolean;
      lossScale?: number;
      samplesPerSec: number;
      time: number;
    }
  | { type: 'validation'; step: number; epoch: number; metrics: EvalMetrics; time: number }
  | { type: 'epoch'; step: number; epoch: number; trainLoss: number; time: number }
  | { type: 'test'; step: number; metrics: EvalMetrics; time: number };
