// Scoring with one of a checkpoint's ONNX exports as it is (predict/evaluate --dtype q8|fp16: the
// file transformers.js loads for that dtype), instead of the eval graph on the saved weights. The
// export takes the batch inputs and returns logits; the loss is computed here from them as the eval
// graph's plain loss is: mean cross-entropy (single-label) or mean binary cross-entropy per label.
import { existsSync, readFileSync } from 'node:fs';
import type { EvalResult } from '../engine/eval-sessions.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { SequenceClassifier } from '../models/family.js';
import { type ort, tensor } from '../onnx/session.js';
import type { Device } from '../runtime/device.js';
import { openSession } from '../runtime/open-session.js';
import type { Evaluator } from './evaluate.js';
import { TrainedModelError } from './trained-model-error.js';

export { EXPORT_FILES, type ExportDtype } from '../models/export.js';

export class ExportScorer implements Evaluator {
  private constructor(
    readonly model: SequenceClassifier,
    private readonly session: ort.InferenceSession,
    readonly file: string,
  ) {}

  static async open(model: SequenceClassifier, file: string, device: Device, threads: number): Promise<ExportScorer> {
    if (!existsSync(file))
      throw new TrainedModelError(
        `${file} does not exist: the checkpoint has no such export. Fix: retrain with --export_dtypes including it, or score with --dtype fp32`,
      );
    const session = await openSession(new Uint8Array(readFileSync(file)), { device, threads });
    return new ExportScorer(model, session, file);
  }

  async evaluate(batch: MicroBatch): Promise<EvalResult> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const t = batch[name];
      if (!t)
        throw new TrainedModelError(`${this.file} takes an input '${name}' that this model's batches do not have`);
      feeds[name] = tensor('int64', t.data, t.dims);
    }
    const out = (await this.session.run(feeds)).logits;
    if (!out) throw new TrainedModelError(`${this.file} has no 'logits' output`);
    const logits = out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>);
    const dims = [...out.dims];
    const labels = batch.labels;
    return { logits, dims, ...(labels && { loss: meanLoss(logits, dims[1]!, labels) }) };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Mean cross-entropy over class ids [B] (int64), or mean binary cross-entropy over targets [B, K]. */
function meanLoss(logits: Float32Array, k: number, labels: NonNullable<MicroBatch['labels']>): number {
  const rows = logits.length / k;
  let sum = 0;
  if (labels.dims.length === 1) {
    for (let i = 0; i < rows; i++) {
      const row = logits.subarray(i * k, (i + 1) * k);
      const max = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      sum += max + Math.log(z) - row[Number(labels.data[i])]!;
    }
    return sum / rows;
  }
  const y = labels.data as Float32Array;
  for (let j = 0; j < logits.length; j++) {
    const x = logits[j]!;
    // log(1 + e^-|x|) + max(x, 0) - x y: stable for large |x|
    sum += Math.max(x, 0) - x * y[j]! + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return sum / logits.length;
}
