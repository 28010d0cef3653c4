// textclf predict: a trained model scores a file (or texts given on the command line). The output
// keeps the input's row order: one row per input row with its text, the label the input gave (when
// it has a label column), the predicted label (multi-label: the labels over the threshold, joined by
// label_separator), the predicted label's score, and a probability per label. `--output -` (the
// default for --text and --input -) prints JSON lines on stdout instead of writing a file.
import { extname, resolve } from 'node:path';
import type { PredictFlags } from '../config/schema.js';
import { FlagError } from '../config/parse.js';
import { makeBatch, planBatches } from '../data/batching.js';
import { argmaxRows, softmaxRows } from '../metrics/classification.js';
import { isPredicted, sigmoid } from '../metrics/multilabel.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { csvField } from '../util/csv.js';
import type { Logger } from '../util/logger.js';
import { prepareDevice } from '../runtime/prepare.js';
import { locateInput, readScoreInput, textsInput, type ScoreInput } from './score-input.js';
import { loadTrainedModel, type TrainedModel } from './trained-model.js';

export interface PredictOptions {
  log: Logger;
  /** Cache for hub models (as training's cache_dir default). */
  defaultCacheDir: string;
  /** Where the output goes when --output is not given (default predictions.csv). */
  defaultOutput?: string;
  /** `--text` values: score these instead of a file. */
  texts?: readonly string[];
  /** What the input is called in messages (stdin's temp file: 'stdin'). */
  inputName?: string;
  /** Where `--output -` writes its JSON lines (default stdout). */
  write?: (text: string) => void;
}

/** The flags predict reads (the CLI's, without --text, which arrives as `texts`; the action's too). */
export type PredictRunFlags = Omit<PredictFlags, 'text'>;

/** `--output -`: JSON lines on stdout. */
export const STDOUT = '-';

export interface PredictResult {
  /** The predictions file, or '-' (stdout). */
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
  /** The label the input gave for the row (its label column), as written there. */
  given?: string;
  /** Predicted label ids (one for single-label). */
  predicted: number[];
  probabilities: Float32Array;
}

export async function runPredict(flags: PredictRunFlags, o: PredictOptions): Promise<PredictResult> {
  const { log } = o;
  const texts = o.texts?.length ? o.texts : undefined;
  if (texts && flags.input) throw new FlagError('text', '--text and --input both name what to score; give one of them');
  const input = texts ? '--text' : await locateInput(flags, log);
  const output =
    flags.output ?? (texts || o.inputName === 'stdin' ? STDOUT : resolve(o.defaultOutput ?? 'predictions.csv'));
  if (output !== STDOUT) checkOutputType(resolve(output));
  const m = await loadTrainedModel({
    model: requireModel(flags.model),
    hubUrl: flags.hub_url,
    cacheDir: flags.cache_dir ?? o.defaultCacheDir,
    device: (
      await prepareDevice({ device: flags.device, gpus: flags.gpus, allowCpuFallback: flags.allow_cpu_fallback, log })
    ).device,
    threads: flags.threads,
    maxLength: flags.max_length,
    dtype: flags.dtype,
    log,
  });
  try {
    const columns = {
      textColumn: flags.text_column,
      textPairColumn: flags.text_pair_column,
      labelColumn: flags.label_column,
      labelSeparator: flags.label_separator,
    };
    const data: ScoreInput = texts ? textsInput(texts, m) : await readScoreInput(input, m, columns, false);
    const preds = await predictRows(m, data, flags);
    const multi = m.problemType === 'multi_label_classification';
    const shownInput = o.inputName ?? input;
    if (output === STDOUT)
      (o.write ?? ((t) => process.stdout.write(t)))(jsonLines(preds, m.labels, data, flags.label_separator, multi));
    else writeOutput(resolve(output), preds, m.labels, data, flags.label_separator, multi);
    const counts: Record<string, number> = Object.fromEntries(m.labels.map((l) => [l, 0]));
    for (const p of preds) for (const c of p.predicted) counts[m.labels[c]]++;
    log.info(`predicted ${preds.length} rows of ${shownInput} -> ${output === STDOUT ? 'stdout' : resolve(output)}`);
    return {
      output: output === STDOUT ? STDOUT : resolve(output),
      input: shownInput,
      rows: preds.length,
      labels: m.labels,
      counts,
    };
  } finally {
    await m.scorer.release();
  }
}

/** Every row's probabilities and predicted labels, in file order (as evaluation during training: the same logits). */
async function predictRows(
  m: TrainedModel,
  data: ScoreInput,
  flags: Pick<PredictRunFlags, 'batch_size' | 'padding' | 'threshold'>,
): Promise<RowPrediction[]> {
  const k = m.labels.length;
  const multi = m.problemType === 'multi_label_classification';
  const preds: RowPrediction[] = [];
  const opts = {
    batchSize: flags.batch_size,
    maxLength: m.maxLength,
    padId: m.tokenizer.padId,
    padding: flags.padding,
  };
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
        ...(data.labelColumn !== undefined && { given: String(row.label) }),
        predicted: multi ? [...p].flatMap((v, c) => (isPredicted(v, flags.threshold) ? [c] : [])) : [arg[i]],
        probabilities: p,
      });
    });
  }
  return preds;
}

export function requireModel(model: string | undefined): string {
  if (!model)
    throw new FlagError(
      'model',
      '--model is required: a checkpoint directory (e.g. runs/textclf/checkpoints/final) or a hub id',
    );
  return model;
}

/** .csv, .tsv or .jsonl: checked before the model loads. */
function checkOutputType(path: string): void {
  const ext = extname(path).toLowerCase();
  if (!['.csv', '.tsv', '.jsonl', '.ndjson'].includes(ext))
    throw new FlagError(
      'output',
      `--output ${path}: unknown file type '${ext || '(none)'}'; use .csv, .tsv or .jsonl (or - for JSON lines on stdout)`,
    );
}

type Columns = Pick<ScoreInput, 'textColumn' | 'textPairColumn' | 'labelColumn'>;

/** One JSON object per row: the text (under its column's name), the given label, predicted_label, score, scores. */
function jsonLines(preds: RowPrediction[], labels: string[], data: Columns, separator: string, multi: boolean): string {
  return preds
    .map((p) =>
      JSON.stringify({
        row: p.row,
        [data.textColumn]: p.text,
        ...(data.textPairColumn ? { [data.textPairColumn]: p.textPair } : {}),
        ...(p.given !== undefined ? { label: p.given } : {}),
        ...(multi
          ? { predicted_labels: p.predicted.map((c) => labels[c]) }
          : { predicted_label: labels[p.predicted[0]!], score: p.probabilities[p.predicted[0]!] }),
        scores: Object.fromEntries(labels.map((l, c) => [l, p.probabilities[c]])),
      }),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** CSV, TSV or JSONL by the output's extension. */
function writeOutput(
  path: string,
  preds: RowPrediction[],
  labels: string[],
  data: Columns,
  separator: string,
  multi: boolean,
): void {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') {
    writeFileAtomic(path, jsonLines(preds, labels, data, separator, multi));
    return;
  }
  const tsv = ext === '.tsv';
  const field = tsv ? (s: string) => s.replace(/[\t\r\n]+/g, ' ') : csvField;
  const given = data.labelColumn !== undefined;
  const head = [
    'row',
    data.textColumn,
    ...(data.textPairColumn ? [data.textPairColumn] : []),
    ...(given ? ['label'] : []),
    'predicted_label',
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
        ...(given ? [field(p.given ?? '')] : []),
        field(p.predicted.map((c) => labels[c]).join(separator)),
        ...(multi ? [] : [p.probabilities[p.predicted[0]!]!.toFixed(6)]),
        ...Array.from(p.probabilities, (x) => x.toFixed(6)),
      ].join(tsv ? '\t' : ','),
    );
  }
  writeFileAtomic(path, lines.join('\n') + '\n');
}
