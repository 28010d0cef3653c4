// A tiny classifier of any registered model type, wrapped for its task as the trainer does
// (TaskModel: loss variants), for graph-level tests that need every family.
import { Runner, type RunnerOptions } from '../../src/engine/runner.js';
import { familyFor } from '../../src/models/registry.js';
import { TaskModel, type LossOptions } from '../../src/models/task.js';
import { initWeights } from '../../src/models/weights.js';
import { tinyEncoderConfig } from './encoder-models.js';

/** Token ids of the encoder configs are below this (position tables hold 16 tokens + padding). */
export const TINY_TASK_VOCAB = 60;

export function tinyTaskModel(
  type: string,
  o: { dropout?: number; loss?: LossOptions; labels?: number; seed?: number } = {},
): TaskModel {
  const config = tinyEncoderConfig(type, TINY_TASK_VOCAB, 1, 16);
  const family = familyFor(config, 'config.json');
  const base = family.create(family.parseConfig(config, 'config.json'), o.labels ?? 3, {
    dropout: o.dropout ?? 0.1,
    seed: o.seed ?? 7,
  });
  return new TaskModel(base, o.loss);
}

/**
 * `count` seeded micro-batches of `rows` x `seq` for `model`: random ids (>= 3: clear of the
 * special tokens), the later rows padded (mask 0, pad id 1 as the encoders' configs say), labels as
 * class ids or multi-hot targets, whichever the model's labels input takes.
 */
export function tinyBatches(model: TaskModel, o: { count: number; rows: number; seq: number; seed: number }) {
  let s = o.seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const labels = model.batchInputs.find((b) => b.name === 'labels')!;
  const vocab = model.config.vocabSize;
  return Array.from({ length: o.count }, () => {
    const n = o.rows * o.seq;
    const ids = new BigInt64Array(n);
    const mask = new BigInt64Array(n);
    for (let r = 0; r < o.rows; r++) {
      const len = o.seq - (r % 3) * 2; // rows 1, 2 (mod 3) padded by 2 and 4
      for (let t = 0; t < o.seq; t++) {
        ids[r * o.seq + t] = t < len ? BigInt(3 + Math.floor(rand() * (vocab - 4))) : 1n;
        mask[r * o.seq + t] = t < len ? 1n : 0n;
      }
    }
    const dims = [o.rows, o.seq];
    const mb: Record<string, { data: BigInt64Array | Float32Array; dims: number[] }> = {
      input_ids: { data: ids, dims },
      attention_mask: { data: mask, dims },
    };
    if (model.batchInputs.some((b) => b.name === 'token_type_ids'))
      mb.token_type_ids = { data: new BigInt64Array(n), dims };
    mb.labels =
      labels.dtype === 'float32'
        ? {
            data: Float32Array.from({ length: o.rows * model.numLabels }, () => (rand() < 0.4 ? 1 : 0)),
            dims: [o.rows, model.numLabels],
          }
        : {
            data: BigInt64Array.from({ length: o.rows }, () => BigInt(Math.floor(rand() * model.numLabels))),
            dims: [o.rows],
          };
    return mb;
  });
}

/**
 * `steps` one-step runs of the tiny task model of `type` (AdamW with weight decay 0.01, clipping at
 * 0.5, lr warming up to 2e-3 over 3 steps from 0 at the first, as the trainer's schedule gives),
 * then an evaluation of the first batch; `runner` picks the device or emission target; dropout off
 * unless `dropout` says.
 */
export async function trainTinySteps(
  type: string,
  o: { steps: number; seed: number; loss?: LossOptions; runner: Partial<RunnerOptions>; dropout?: number },
) {
  const model = tinyTaskModel(type, { dropout: o.dropout ?? 0, loss: o.loss });
  const runner = await Runner.create(model, {
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    maxGradNorm: 0.5,
    loop: false,
    params: initWeights(model, 3),
    ...o.runner,
  });
  try {
    const batches = tinyBatches(model, { count: o.steps, rows: 4, seq: 8, seed: o.seed });
    const losses: number[] = [];
    const norms: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const r = await runner.step([batches[i]], [(2e-3 * Math.min(i, 3)) / 3]);
      losses.push(...r.losses);
      norms.push(...r.gradNorms);
    }
    const ev = await runner.evaluate(batches[0]);
    return { losses, norms, ev, stepGraph: runner.stepGraph };
  } finally {
    await runner.release();
  }
}
