// Epoch arithmetic of the trainer (Lightning semantics) and val_check_interval placement.
import { batchAmount } from '../../src/config/batch-amount.js';
import { parseFlags } from '../../src/config/parse.js';
import { fromEncodedExamples } from '../../src/data/encoded-dataset.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import type { Runner } from '../../src/engine/runner.js';
import { BertModel, parseBertConfig } from '../../src/models/bert/index.js';
import { tinyConfigJson } from '../models/tiny-model.js';
import { lineLogger } from '../../src/util/logger.js';
import {
  autoSteps,
  batchesPerEpoch,
  MAX_STEPS_PER_RUN,
  stepsPerEpoch,
  Trainer,
  validationPoints,
  type TrainerOptions,
} from '../../src/train/trainer.js';

test("limit_train_batches: Lightning's rule, a decimal is a fraction of the epoch (at least one batch), an integer a count", () => {
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('1.0') })).toBe(7);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('0.5') })).toBe(3);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('0.01') })).toBe(1);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('4') })).toBe(4);
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('50') })).toBe(7);
  // the tutorial's case: 1 is one batch, 1.0 the whole epoch
  expect(batchesPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('1') })).toBe(1);
});

test('batch amounts: integers and decimals parse by their spelling; the flag rejects what Lightning rejects', () => {
  expect(batchAmount('1')).toEqual({ kind: 'batches', count: 1 });
  expect(batchAmount('1.0')).toEqual({ kind: 'fraction', fraction: 1 });
  expect(batchAmount('.25')).toEqual({ kind: 'fraction', fraction: 0.25 });
  expect(batchAmount('2.5e-1')).toEqual({ kind: 'fraction', fraction: 0.25 });
  expect(() => parseFlags({ limit_train_batches: '1.5' }, 'cli')).toThrow(
    /--limit_train_batches: '1.5' is not valid; expected an integer number of batches >= 1 .* or a fraction/,
  );
  expect(() => parseFlags({ val_check_interval: '0' }, 'cli')).toThrow(/--val_check_interval: '0' is not valid/);
  expect(parseFlags({ limit_train_batches: '1', val_check_interval: '0.5' }, 'cli')).toMatchObject({
    limit_train_batches: '1',
    val_check_interval: '0.5',
    limit_val_batches: '1.0',
  });
});

test('accumulate_grad_batches: optimizer steps per epoch drop a trailing partial step', () => {
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('1.0'), accumulate: 1 })).toBe(7);
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('1.0'), accumulate: 2 })).toBe(3);
  expect(stepsPerEpoch(100, { batchSize: 16, limitTrainBatches: batchAmount('1.0'), accumulate: 8 })).toBe(0);
});

test('val_check_interval: fractions of an epoch or every N batches, always at the epoch end', () => {
  expect([...validationPoints(10, batchAmount('1.0'))]).toEqual([10]);
  expect([...validationPoints(10, batchAmount('0.25'))].sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10]);
  expect([...validationPoints(10, batchAmount('4'))].sort((a, b) => a - b)).toEqual([4, 8, 10]);
  expect([...validationPoints(10, batchAmount('1'))].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('a step whose micro-batches differ in size (short last batch, A > 1) is trimmed to the smallest and padded to one length', async () => {
  // 10 examples, batch_size 4, A = 3: one optimizer step over batches of 4, 4 and 2 examples.
  const lens = [3, 5, 4, 6, 2, 7, 3, 4, 8, 5];
  const ds = fromEncodedExamples(
    lens.map((n, i) => ({ row: i + 1, inputIds: Array.from({ length: n }, () => 100 + i), label: i % 2 })),
  );
  const calls: MicroBatch[][] = [];
  let globalStep = 0;
  const model = new BertModel(parseBertConfig({ ...tinyConfigJson(), vocab_size: 200 }), 2);
  const runner = {
    model,
    get globalStep() {
      return globalStep;
    },
    // The run arrives as one batch of K*A*B rows (step-major); split it back into its A micro-batches.
    async stepRun(run: MicroBatch, lrs: number[]) {
      const A = 3;
      const rows = run.input_ids.dims[0] / A;
      calls.push(
        Array.from({ length: A }, (_, a) =>
          Object.fromEntries(
            Object.entries(run).map(([k, t]) => {
              const per = t.data.length / run.input_ids.dims[0];
              return [
                k,
                { data: t.data.slice(a * rows * per, (a + 1) * rows * per), dims: [rows, ...t.dims.slice(1)] },
              ];
            }),
          ),
        ),
      );
      globalStep += lrs.length;
      return { losses: lrs.map(() => 0.5), gradNorms: lrs.map(() => 1) };
    },
  } as unknown as Runner<BertModel>;
  const steps: number[] = [];
  const trainer = new Trainer(
    runner,
    ds,
    {
      maxEpochs: 1,
      batchSize: 4,
      accumulate: 3,
      stepsPerRun: 1,
      maxLength: 16,
      padding: 'longest',
      padId: 0,
      shuffle: false,
      seed: 1,
      learningRate: 1e-3,
      warmupSteps: 0,
      limitTrainBatches: batchAmount('1.0'),
      valCheckInterval: batchAmount('1.0'),
    },
    { log: lineLogger(() => {}), callbacks: [{ onTrainStepEnd: (_t, e) => void steps.push(e.step) }] },
  );
  const end = await trainer.fit();
  expect(end).toMatchObject({ epoch: 1, cancelled: false });
  expect(calls).toHaveLength(1);
  expect(steps).toEqual([1]);
  // rows 1-2, 5-6, 9-10 (the first 2 of each batch); all padded to the longest of them (8 tokens, row 9)
  expect(calls[0].map((b) => b.input_ids.dims)).toEqual([
    [2, 8],
    [2, 8],
    [2, 8],
  ]);
  expect(calls[0].map((b) => Array.from(b.labels.data as BigInt64Array, Number))).toEqual([
    [0, 1],
    [0, 1],
    [0, 1],
  ]);
  expect(Number((calls[0][2].input_ids.data as BigInt64Array)[0])).toBe(108);
});

test('steps_per_run=auto: one step until measured, then runs of ~runSeconds, inputs under 64 MiB, at most 256', () => {
  const o = { runSeconds: 5, accumulate: 1, batchSize: 16, maxLength: 128 };
  expect(autoSteps(o, undefined)).toBe(1);
  expect(autoSteps(o, 0.4)).toBe(12);
  expect(autoSteps({ ...o, runSeconds: 10 }, 0.4)).toBe(25);
  expect(autoSteps(o, 20)).toBe(1); // a step longer than the target: one per run
  expect(autoSteps(o, 1e-4)).toBe(MAX_STEPS_PER_RUN);
  expect(autoSteps(o, 0)).toBe(MAX_STEPS_PER_RUN); // too fast to measure
  // 4 x 64 rows x 512 tokens x 3 int64 inputs = 3 MiB per step: 21 steps fit in 64 MiB
  expect(autoSteps({ runSeconds: 5, accumulate: 4, batchSize: 64, maxLength: 512 }, 1e-3)).toBe(21);
});

interface RecordedRun {
  k: number;
  rows: number;
  len: number;
  seqLens: number[];
  /** Each micro-batch's longest example, from the attention mask. */
  longest: number[];
}

/**
 * 20 examples of lengths 2..`maxLen`+1 (i * 7 mod `maxLen`), batch_size 2, steps_per_run auto,
 * validation every quarter epoch, trained for one epoch against a fake runner that records every run.
 */
async function fitRecorded(maxLen: number, opts: Partial<TrainerOptions>) {
  const ds = fromEncodedExamples(
    Array.from({ length: 20 }, (_, i) => ({
      row: i + 1,
      inputIds: Array.from({ length: 2 + ((i * 7) % maxLen) }, () => 100 + i),
      label: i % 2,
    })),
  );
  const model = new BertModel(parseBertConfig({ ...tinyConfigJson(), vocab_size: 200 }), 2);
  const runs: RecordedRun[] = [];
  let globalStep = 0;
  const runner = {
    model,
    get globalStep() {
      return globalStep;
    },
    async stepRun(run: MicroBatch, lrs: number[], seqLens: number[]) {
      const [rows, len] = run.input_ids.dims;
      const mask = run.attention_mask.data as BigInt64Array;
      // 2 rows per micro-batch
      const longest = Array.from({ length: rows / 2 }, (_, j) =>
        Math.max(
          ...[0, 1].map((r) =>
            mask.subarray((2 * j + r) * len, (2 * j + r + 1) * len).reduce((a, b) => a + Number(b), 0),
          ),
        ),
      );
      runs.push({ k: lrs.length, rows, len, seqLens, longest });
      globalStep += lrs.length;
      return { losses: lrs.map(() => 0.5), gradNorms: lrs.map(() => 1) };
    },
  } as unknown as Runner<BertModel>;
  const validatedAt: number[] = [];
  const validate = async (_epoch: number, step: number) => {
    validatedAt.push(step);
    return undefined;
  };
  const trainer = new Trainer(
    runner,
    ds,
    {
      maxEpochs: 1,
      batchSize: 2,
      accumulate: 1,
      stepsPerRun: 'auto',
      maxLength: 32,
      padding: 'longest',
      padId: 0,
      shuffle: true,
      seed: 4,
      learningRate: 1e-3,
      warmupSteps: 0,
      limitTrainBatches: batchAmount('1.0'),
      valCheckInterval: batchAmount('0.25'),
      ...opts,
    },
    { log: lineLogger(() => {}), validate },
  );
  await trainer.fit();
  return { runs, validatedAt };
}

test('steps_per_run=auto: runs stop at validation points; each micro-batch carries its own length', async () => {
  // 10 batches, validation every 2.5 -> after batches 2, 4, 6, 8, 10
  const { runs, validatedAt } = await fitRecorded(20, {});
  // The first run measures (one step); the fast fake then gets the most steps that stay inside a
  // validation interval.
  expect(runs.map((r) => r.k)).toEqual([1, 1, 2, 2, 2, 2]);
  expect(validatedAt).toEqual([2, 4, 6, 8, 10]);
  for (const r of runs) {
    expect(r.rows).toBe(2 * r.k);
    expect(r.seqLens).toHaveLength(r.k);
    expect(r.seqLens).toEqual(r.longest); // each micro-batch's own length
    expect(Math.max(...r.seqLens)).toBe(r.len); // the run is padded to its longest micro-batch, no further
  }
  expect(new Set(runs.flatMap((r) => r.seqLens)).size).toBeGreaterThan(3);
});

test('padMultiple (mixed precision on CUDA): each micro-batch padded up to a multiple of 8, at most max_length', async () => {
  const { runs } = await fitRecorded(18, { maxLength: 20, padMultiple: 8 });
  for (const r of runs) {
    r.seqLens.forEach((n, m) => {
      expect(n === 20 || n % 8 === 0).toBe(true); // a multiple of 8, or max_length
      expect(n).toBeGreaterThanOrEqual(r.longest[m]);
      expect(n - r.longest[m]).toBeLessThan(8);
    });
    expect(Math.max(...r.seqLens)).toBe(r.len);
  }
  expect(runs.flatMap((r) => r.seqLens)).toEqual(expect.arrayContaining([8, 16, 20]));
});
