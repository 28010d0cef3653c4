// textclf predict: a trained model scores a file. The output keeps the input's row order: one row
// per input row with its text, the predicted label (multi-label: the labels over the threshold,
// joined by label_separator), the predicted label's score, and a probability per label.
import { extname, resolve } from 'node:path';
import type { PredictFlags } from '../config/schema.js';
import { flagSpec } from '../config/schema.js';
import { makeBatch, planBatches } from '../data/batching.js';
import { argmaxRows, softmaxRows } from '../metrics/classification.js';
import { isPredicted, sigmoid } from '../metrics/multilabel.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import type { Logger } from '../util/logger.js';
import { prepareDevice } from '../runtime/prepare.js';
import { locateInput, readScoreInput } from './score-input.js';
import { loadTrainedModel } from './trained-model.js';

export interface PredictOptions {
  log: Logger;
  /** Cache for hub models (as training's cache_dir default). */
  defaultCacheDir: string;
  /** Where the output goes when --output is not given (default predictions.csv). */
  defaultOutput?: string;
}

export interface PredictResult {
  output: string;
  input: string;
  rows: number;
  labels: string[];
  /** How often each label was predicted. */
  counts: Record<string, number>;
}

export interface RowPrediction {
  row: number;
  text: string;
  textPair?: string;
  /** Predicted label ids (one for single-label). */
  predicted: number[];
  probabilities: Float32Array;
}

export async function runPredict(flags: PredictFlags, o: PredictOptions): Promise<PredictResult> {
  const { log } = o;
  const input = await locateInput(flags, log);
  const m = await loadTrainedModel({
    model: requireModel(flags.model),
    hubUrl: flags.hub_url,
    cacheDir: flags.cache_dir ?? o.defaultCacheDir,
    device: (
      await prepareDevice({ device: flags.device, gpus: flags.gpus, allowCpuFallback: flags.allow_cpu_fallback, log })
    ).device,
    threads: flags.threads,
    maxLength: flags.max_length,
    defaultMaxLength: flagSpec('max_length')!.default as number,
    log,
  });
  try {
    const data = await readScoreInput(
      input,
      m,
      { textColumn: flags.text_column, textPairColumn: flags.text_pair_column, labelSeparator: flags.label_separator },
      false,
    );
    const k = m.labels.length;
    const multi = m.problemType === 'multi_label_classification';
    const preds: RowPrediction[] = [];
    const opts = {
      batchSize: flags.batch_size,
      maxLength: m.maxLength,
      padId: m.tokenizer.padId,
      padding: flags.padding,
    };
    // File order (as evaluation during training): the logits are exactly those the run's test gave.
    for (const idx of planBatches(data.dataset, { ...opts, shuffle: false, seed: 0 })) {
      const b = makeBatch(data.dataset, idx, opts);
      const { logits } = await m.scorer.evaluate(m.model.feeds(b, false));
      const probs = multi ? Float32Array.from(logits, sigmoid) : softmaxRows(logits, k);
      const arg = argmaxRows(logits, k);
      idx.forEach((ex, i) => {
        const p = probs.slice(i * k, (i + 1) * k);
        const row = data.rows[ex];
        preds.push({
          row: row.row,
          text: row.text,
          textPair: row.textPair,
          predicted: multi ? [...p].flatMap((v, c) => (isPredicted(v, flags.threshold) ? [c] : [])) : [arg[i]],
          probabilities: p,
        });
      });
    }
    const output = resolve(flags.output ?? o.defaultOutput ?? 'predictions.csv');
    writeOutput(output, preds, m.labels, data, flags.label_separator, multi);
    const counts: Record<string, number> = Object.fromEntries(m.labels.map((l) => [l, 0]));
    for (const p of preds) for (const c of p.predicted) counts[m.labels[c]]++;
    log.info(`predicted ${preds.length} rows of ${input} -> ${output}`);
    return { output, input, rows: preds.length, labels: m.labels, counts };
  } finally {
    await m.scorer.release();
  }
}

export function requireModel(model: string | undefined): string {
  if (!model)
    throw new Error('--model is required: a checkpoint directory (e.g. runs/textclf/checkpoints/final) or a hub id');
  return model;
}

/** CSV, TSV or JSONL by the output's extension. */
function writeOutput(
  path: string,
  preds: RowPrediction[],
  labels: string[],
  data: { textColumn: string; textPairColumn?: string },
  separator: string,
  multi: boolean,
): void {
  const ext = extname(path).toLowerCase();
  const labelOf = (p: RowPrediction) => p.predicted.map((c) => labels[c]).join(separator);
  const score = (p: RowPrediction) => (multi ? undefined : p.probabilities[p.predicted[0]]);
  if (ext === '.jsonl' || ext === '.ndjson') {
    const lines = preds.map((p) =>
      JSON.stringify({
        row: p.row,
        [data.textColumn]: p.text,
        ...(data.textPairColumn ? { [data.textPairColumn]: p.textPair } : {}),
        ...(multi ? { labels: p.predicted.map((c) => labels[c]) } : { label: labelOf(p), score: score(p) }),
        scores: Object.fromEntries(labels.map((l, c) => [l, p.probabilities[c]])),
      }),
    );
    writeFileAtomic(path, lines.join('\n') + '\n');
    return;
  }
  if (ext !== '.csv' && ext !== '.tsv')
    throw new Error(`--output ${path}: unknown file type '${ext || '(none)'}'; use .csv, .tsv or .jsonl`);
  const tsv = ext === '.tsv';
  const field = tsv ? (s: string) => s.replace(/[\t\r\n]+/g, ' ') : csvField;
  const head = [
    'row',
    data.textColumn,
    ...(data.textPairColumn ? [data.textPairColumn] : []),
    'label',
    ...(multi ? [] : ['score']),
    ...labels.map((l) => `p_${l}`),
  ];
  const lines = [head.map(field).join(tsv ? '\t' : ',')];
  for (const p of preds) {
    lines.push(
      [
        String(p.row),
        field(p.text),
        ...(data.textPairColumn ? [field(p.textPair ?? '')] : []),
        field(labelOf(p)),
        ...(multi ? [] : [score(p)!.toFixed(6)]),
        ...Array.from(p.probabilities, (x) => x.toFixed(6)),
      ].join(tsv ? '\t' : ','),
    );
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}
