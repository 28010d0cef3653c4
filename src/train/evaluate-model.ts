// textclf evaluate: a trained model's metrics on a labelled file (the training run's metrics for
// its own test file, exactly), optionally written as JSON, and the min_accuracy gate.
import { resolve } from 'node:path';
import type { EvaluateFlags } from '../config/schema.js';
import type { EvalMetrics } from '../metrics/types.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { evaluateSplit } from './evaluate.js';
import { requireModel } from './predict.js';
import { prepareDevice } from '../runtime/prepare.js';
import { locateInput, readScoreInput } from './score-input.js';
import { loadTrainedModel } from './trained-model.js';

export interface EvaluateResult {
  model: string;
  input: string;
  labels: string[];
  problemType: string;
  metrics: EvalMetrics;
  /** The min_accuracy gate's failure, when it failed. */
  gateFailure?: string;
  output?: string;
}

export async function runEvaluate(
  flags: EvaluateFlags,
  o: { log: Logger; defaultCacheDir: string },
): Promise<EvaluateResult> {
  const input = await locateInput(flags, o.log);
  const model = requireModel(flags.model);
  const m = await loadTrainedModel({
    model,
    hubUrl: flags.hub_url,
    cacheDir: flags.cache_dir ?? o.defaultCacheDir,
    device: (
      await prepareDevice({
        device: flags.device,
        gpus: flags.gpus,
        allowCpuFallback: flags.allow_cpu_fallback,
        log: o.log,
      })
    ).device,
    threads: flags.threads,
    maxLength: flags.max_length,
    dtype: flags.dtype,
    log: o.log,
  });
  try {
    const data = await readScoreInput(
      input,
      m,
      {
        textColumn: flags.text_column,
        textPairColumn: flags.text_pair_column,
        labelColumn: flags.label_column,
        labelSeparator: flags.label_separator,
      },
      true,
    );
    const { metrics } = await evaluateSplit(m.scorer, data.dataset, m.labels, {
      batchSize: flags.batch_size,
      maxLength: m.maxLength,
      padId: m.tokenizer.padId,
      padding: flags.padding,
      problemType: m.problemType,
      threshold: flags.threshold,
    });
    const r: EvaluateResult = { model, input, labels: m.labels, problemType: m.problemType, metrics };
    const what = metrics.multiLabel ? 'subset accuracy' : 'accuracy';
    if (flags.min_accuracy !== undefined && metrics.accuracy < flags.min_accuracy)
      r.gateFailure = `min_accuracy: ${what} ${(metrics.accuracy * 100).toFixed(2)}% is below ${(flags.min_accuracy * 100).toFixed(2)}% by ${((flags.min_accuracy - metrics.accuracy) * 100).toFixed(2)} pp`;
    if (flags.output) {
      r.output = resolve(flags.output);
      writeJsonAtomic(r.output, { model, input, labels: m.labels, problemType: m.problemType, metrics });
    }
    return r;
  } finally {
    await m.scorer.release();
  }
}
