// A realistic MetricsFile (3 epochs, validation, test, dataset stats) for report tests, with
// user strings chosen to break naive markdown: HTML, pipes, mentions, backticks.
import type { EvalMetrics, MetricsFile } from '../../src/metrics/types.js';

const EVIL_LABEL = '<img src=x onerror=alert(1)>';
export const PIPE_LABEL = 'neg|ative';

function evalMetrics(acc: number, loss: number, confusion: number[][], labels: string[]): EvalMetrics {
  const samples = confusion.flat().reduce((a, b) => a + b, 0);
  const perClass = labels.map((label, i) => {
    const tp = confusion[i]![i]!;
    const support = confusion[i]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[i]!, 0);
    const precision = predicted ? tp / predicted : 0,
      recall = support ? tp / support : 0;
    return {
      label,
      precision,
      recall,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
      support,
    };
  });
  const mean = (k: 'precision' | 'recall' | 'f1') => perClass.reduce((a, c) => a + c[k], 0) / perClass.length;
  return {
    loss,
    accuracy: acc,
    precision: mean('precision'),
    recall: mean('recall'),
    f1: mean('f1'),
    perClass,
    confusion,
    samples,
  };
}

export function sampleMetrics(overrides: Partial<MetricsFile> = {}): MetricsFile {
  const labels = [PIPE_LABEL, 'positive', EVIL_LABEL];
  const c1 = [
    [30, 10, 0],
    [8, 40, 2],
    [1, 1, 8],
  ];
  const c2 = [
    [35, 5, 0],
    [4, 45, 1],
    [0, 1, 9],
  ];
  const c3 = [
    [33, 7, 0],
    [5, 44, 1],
    [0, 2, 8],
  ];
  const ct = [
    [36, 3, 1],
    [2, 47, 1],
    [1, 0, 9],
  ];
  return {
    version: 1,
    labels,
    run: {
      model: 'bert-base-uncased',
      datastore: 'https://example.test/imdb_*data*.zip',
      flags: {
        max_epochs: 3,
        batch_size: 16,
        learning_rate: 2e-5,
        train_file: 'train_`x`.csv',
        github_token: 'ghs_SECRETVALUE123',
      },
      device: 'cpu',
      gpu: [{ name: 'NVIDIA A10G', memoryMiB: 23028, driver: '535.104.05' }],
      startedAt: '2026-11-26T04:00:00.000Z',
      finishedAt: '2026-11-26T04:02:05.000Z',
      wallSeconds: 125,
      samplesPerSecond: 123.456,
      totalSteps: 57,
      commit: 'abc1234',
      numParameters: 4385920,
    },
    epochs: [
      {
        epoch: 1,
        step: 19,
        trainLoss: 0.9123,
        validation: evalMetrics(0.78, 0.6543, c1, labels),
        seconds: 40.2,
        checkpoint: 'checkpoints/epoch-1',
      },
      {
        epoch: 2,
        step: 38,
        trainLoss: 0.5012,
        validation: evalMetrics(0.89, 0.4012, c2, labels),
        seconds: 41.0,
        checkpoint: 'checkpoints/epoch-2',
      },
      {
        epoch: 3,
        step: 57,
        trainLoss: 0.3111,
        validation: evalMetrics(0.85, 0.4511, c3, labels),
        seconds: 40.7,
        checkpoint: 'checkpoints/epoch-3',
      },
    ],
    bestEpoch: 2,
    test: evalMetrics(0.92, 0.3333, ct, labels),
    dataset: {
      rows: { train: 300, valid: 100, test: 100 },
      labels: { train: { [PIPE_LABEL]: 120, positive: 150, [EVIL_LABEL]: 30 } },
      textLength: { train: { p50: 812, p90: 2011, p99: 4100, max: 5230 } },
    },
    checkpoints: [
      { epoch: 1, path: 'checkpoints/epoch-1' },
      { epoch: 2, path: 'checkpoints/epoch-2' },
      { epoch: 3, path: 'checkpoints/epoch-3' },
    ],
    ...overrides,
  };
}

/** The run as a runner records it: absolute paths everywhere (output dir, checkpoints, flags), phases, copies. */
export function runnerMetrics(outputDir: string, overrides: Partial<MetricsFile> = {}): MetricsFile {
  const base = sampleMetrics();
  const ckpt = (n: number | string) => `${outputDir}/checkpoints/${typeof n === 'number' ? `epoch-${n}` : n}`;
  const copies = (runs: number, up: number, down: number, host: number, run: number) => ({
    runs,
    uploadBytes: up * runs,
    downloadBytes: down * runs,
    hostSeconds: host * runs,
    runSeconds: run * runs,
    perRun: { uploadBytes: up, downloadBytes: down, hostSeconds: host, runSeconds: run },
  });
  return {
    ...base,
    run: {
      ...base.run,
      model: '/home/runner/work/repo/repo/models/tiny-bert',
      datastore: 'imdb@3f2a1b',
      deviceReason:
        'device auto with gpus=1: CUDA cannot run (libcudart.so.12 is not in /usr/local/cuda/lib64): the CPU',
      flags: {
        ...base.run.flags,
        output_dir: outputDir,
        model_name_or_path: '/home/runner/work/repo/repo/models/tiny-bert',
        datastore: 'https://example.test/imdb.zip',
        predictions_file: `${outputDir}/predictions.csv`,
        cache_dir: '/opt/hostedtoolcache/textclf',
      },
      outputDir,
      wallSeconds: 125,
      phases: {
        provisioning: 14.2,
        download: 3.5,
        tokenizing: 6.25,
        setup: 2.0,
        training: 95.3,
        evaluation: 12.1,
        checkpoints: 4.4,
      },
      transfers: {
        state: 'host',
        stateBytes: 17 * 2 ** 20,
        train: copies(57, 18 * 2 ** 20, 17 * 2 ** 20, 0.004, 1.6),
        eval: copies(21, 2 ** 20, 4096, 0.001, 0.2),
      },
    },
    epochs: base.epochs.map((e) => ({ ...e, checkpoint: ckpt(e.epoch) })),
    checkpoints: [
      ...base.epochs.map((e) => ({ epoch: e.epoch, path: ckpt(e.epoch) })),
      { epoch: 'final', path: ckpt('final') },
    ],
    ...overrides,
  };
}
