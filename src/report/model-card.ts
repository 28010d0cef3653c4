// The model card (README.md) pushed with a model to the Hugging Face Hub, in the Hub's format:
// YAML metadata between `---` lines (library_name, pipeline_tag, base_model, datasets, metrics and
// a model-index with the results, as huggingface_hub's eval_results_to_model_index writes it),
// then markdown as Hugging Face Trainer's cards have it: results, per-class scores, the best epoch
// and why, hyperparameters, the epochs, framework versions, and how to use the model.
// User strings are data: YAML values are double-quoted scalars with every special character
// escaped, markdown goes through md(); no local path appears (a local model or datastore shows
// by its name).
import type { EvalMetrics, MetricsFile } from '../metrics/types.js';
import { md } from './escape.js';
import { displayModel, hideLocalPaths } from './paths.js';

export interface ModelCardInput {
  metrics: MetricsFile;
  /** owner/name on the Hub. */
  repoId: string;
  /** The Hub's URL (links to the base model and dataset). */
  hubUrl: string;
  /** Paths of the files pushed with the card (the usage section names the ONNX files there). */
  files: string[];
  versions: { textclf: string; onnxruntime: string; transformersJs?: string };
  /** The base model's Hub id, when it came from the Hub (a local directory has none). */
  baseModel?: string;
}

/** A Hub dataset datastore: `hf://datasets/owner/name[@revision][/path]` (a revision's slashes %-encoded, as HfFileSystem writes them). */
const HF_DATASET = /^hf:\/\/datasets\/([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)(?:@([^/\s]+))?(?:\/\S*)?$/;

export function renderModelCard(c: ModelCardInput): string {
  const m = c.metrics;
  const name = c.repoId.split('/').pop()!;
  const ds = datasetOf(m);
  const result = finalResult(m);
  const multi = m.task?.problemType === 'multi_label_classification';
  const meta: Record<string, unknown> = {
    library_name: 'transformers',
    pipeline_tag: 'text-classification',
    ...(c.baseModel ? { base_model: c.baseModel } : {}),
    ...(ds.hubId ? { datasets: [ds.hubId] } : {}),
    tags: ['text-classification', 'textclf', 'onnx', 'transformers.js', 'safetensors'],
    metrics: ['accuracy', 'f1', 'precision', 'recall'],
    ...(result
      ? {
          'model-index': [
            {
              name,
              results: [
                {
                  task: { type: 'text-classification', name: 'Text Classification' },
                  dataset: {
                    name: ds.name,
                    type: ds.hubId ?? ds.name,
                    ...(ds.config ? { config: ds.config } : {}),
                    split: result.split,
                    ...(ds.revision ? { revision: ds.revision } : {}),
                  },
                  metrics: indexMetrics(result.metrics, multi),
                },
              ],
            },
          ],
        }
      : {}),
  };
  const body = [
    `# ${md(name)}`,
    intro(c, ds, result),
    perClassSection(result),
    labelsSection(m),
    bestSection(m),
    hyperparameters(m),
    epochsTable(m),
    versionsSection(c),
    usage(c, multi),
  ].filter((s) => s.length > 0);
  return `---\n${yamlLines(meta).join('\n')}\n---\n\n${body.join('\n\n')}\n`;
}

interface DatasetRef {
  /** What people call it: the Hub id's name, else the datastore's name (never a path). */
  name: string;
  hubId?: string;
  revision?: string;
  config?: string;
}

function datasetOf(m: MetricsFile): DatasetRef {
  const flag = m.run.flags.datastore;
  const hub = typeof flag === 'string' ? HF_DATASET.exec(flag.trim()) : null;
  const config = typeof m.run.flags.dataset_config === 'string' ? m.run.flags.dataset_config : undefined;
  if (hub) return { name: hub[1].split('/')[1], hubId: hub[1], revision: hub[2] && safeDecode(hub[2]), config };
  // a datastore is recorded as name@version (a URL's file name, a directory's name, a cache name)
  const recorded = m.run.datastore;
  const named = recorded && /^https?:\/\//i.test(recorded) ? urlName(recorded) : recorded?.replace(/@[^@]*$/, '');
  const file = typeof m.run.flags.train_file === 'string' ? m.run.flags.train_file : undefined;
  const label = named || (file ? displayModel(file) : '') || 'custom';
  return { name: hideLocalPaths(label), config };
}

/** A URL's file name (no host, no query: a presigned URL's signature stays out). */
function urlName(url: string): string {
  try {
    return safeDecode(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || new URL(url).hostname;
  } catch {
    return 'datastore';
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface Result {
  split: 'test' | 'validation';
  metrics: EvalMetrics;
  /** The epoch whose weights are pushed (checkpoints/final). */
  epoch?: number;
}

/** What the model-index reports: the test split, else the validation of the pushed epoch. */
function finalResult(m: MetricsFile): Result | undefined {
  if (m.test) return { split: 'test', metrics: m.test, epoch: m.finalEpoch };
  const epoch = m.finalEpoch ?? m.bestEpoch;
  const v = m.epochs.find((e) => e.epoch === epoch)?.validation;
  return v ? { split: 'validation', metrics: v, epoch } : undefined;
}

function indexMetrics(e: EvalMetrics, multi: boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [
    { type: 'accuracy', value: e.accuracy, name: multi ? 'Subset accuracy' : 'Accuracy' },
    { type: 'f1', value: e.f1, name: 'F1 (macro)', args: { average: 'macro' } },
    { type: 'precision', value: e.precision, name: 'Precision (macro)', args: { average: 'macro' } },
    { type: 'recall', value: e.recall, name: 'Recall (macro)', args: { average: 'macro' } },
  ];
  if (e.multiLabel)
    out.push({ type: 'f1', value: e.multiLabel.microF1, name: 'F1 (micro)', args: { average: 'micro' } });
  out.push({ type: 'loss', value: e.loss, name: 'Loss' });
  return out.filter((x) => Number.isFinite(x.value as number));
}

const n4 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(4));

function intro(c: ModelCardInput, ds: DatasetRef, r: Result | undefined): string {
  const m = c.metrics;
  const base = c.baseModel
    ? `[${md(c.baseModel)}](${hubLink(c.hubUrl, c.baseModel)})`
    : `the local model ${md(displayModel(m.run.model))}`;
  const data = ds.hubId
    ? `the [${md(ds.hubId)}](${hubLink(c.hubUrl, `datasets/${ds.hubId}`)}) dataset${ds.config ? ` (config ${md(ds.config)})` : ''}`
    : `the ${md(ds.name)} dataset`;
  const rows = m.dataset?.rows;
  const splits = rows
    ? ` (${Object.entries(rows)
        .map(([split, n]) => `${n.toLocaleString('en-US')} ${md(split)}`)
        .join(', ')} examples)`
    : '';
  const lines = [
    `This model is a fine-tuned version of ${base} on ${data}${splits}, trained with textclf ${md(c.versions.textclf)} on ONNX Runtime (${md(m.run.device)}).`,
  ];
  if (!r) {
    lines.push('', 'No test or validation split was evaluated.');
    return lines.join('\n');
  }
  const e = r.metrics;
  const on = r.split === 'test' ? 'the test set' : `the validation set (epoch ${r.epoch})`;
  lines.push(
    '',
    `It achieves the following results on ${on} (${e.samples} examples):`,
    `- Loss: ${n4(e.loss)}`,
    `- ${e.multiLabel ? 'Subset accuracy' : 'Accuracy'}: ${n4(e.accuracy)}`,
    `- F1 (macro): ${n4(e.f1)}`,
    ...(e.multiLabel ? [`- F1 (micro): ${n4(e.multiLabel.microF1)}`] : []),
    `- Precision (macro): ${n4(e.precision)}`,
    `- Recall (macro): ${n4(e.recall)}`,
  );
  return lines.join('\n');
}

function perClassSection(r: Result | undefined): string {
  if (!r || r.metrics.perClass.length === 0) return '';
  const rows = r.metrics.perClass.map((p) => [md(p.label), n4(p.precision), n4(p.recall), n4(p.f1), String(p.support)]);
  return `## Per-class results (${r.split})\n\n${table(['label', 'precision', 'recall', 'F1', 'support'], rows)}`;
}

function labelsSection(m: MetricsFile): string {
  const rows = m.labels.map((l, i) => [String(i), md(l)]);
  const multi = m.task?.problemType === 'multi_label_classification';
  return `## Labels\n\n${multi ? `Multi-label: a sigmoid per label, threshold ${md(m.task?.threshold ?? 0.5)}.\n\n` : ''}${table(['id', 'label'], rows)}`;
}

function bestSection(m: MetricsFile): string {
  const best = m.epochs.find((e) => e.epoch === m.bestEpoch);
  const lines: string[] = [];
  if (best?.validation && m.monitor) {
    const way = m.monitor.mode === 'min' ? 'lowest' : 'highest';
    const value = m.monitor.best ?? monitored(best.validation, m.monitor.name);
    lines.push(
      `Epoch ${best.epoch} of ${m.epochs.length} was the best: it had the ${way} ${md(m.monitor.name)} (the monitored metric), ${n4(value)}.`,
    );
    if (m.finalEpoch !== undefined)
      lines.push(
        m.finalEpoch === best.epoch
          ? `The weights here are that epoch's (\`test_on: ${m.testOn === 'last' ? 'last' : 'best'}\`).`
          : `The weights here are the last epoch's, ${m.finalEpoch} (\`test_on: last\`).`,
      );
  } else if (m.finalEpoch !== undefined) {
    lines.push(`No validation split: the weights here are the last epoch's, ${m.finalEpoch}.`);
  }
  if (m.stopped)
    lines.push(`Training stopped after epoch ${m.stopped.epoch}: ${md(hideLocalPaths(m.stopped.message))}.`);
  return lines.length ? `## Best epoch\n\n${lines.join(' ')}` : '';
}

function monitored(v: EvalMetrics, name: string): number {
  return name === 'val_accuracy' ? v.accuracy : name === 'val_f1' ? v.f1 : v.loss;
}

/** The hyperparameters Hugging Face Trainer's cards list, under their names there, from the run's flags. */
function hyperparameters(m: MetricsFile): string {
  const f = m.run.flags;
  const has = (k: string) => f[k] !== undefined && f[k] !== '';
  const batch = Number(f.batch_size);
  const accumulate = Number(f.accumulate_grad_batches ?? 1);
  const items: [string, unknown][] = [
    ['learning_rate', f.learning_rate],
    ['train_batch_size', f.batch_size],
    ['eval_batch_size', f.batch_size],
    ['seed', f.seed],
  ];
  if (accumulate > 1)
    items.push(['gradient_accumulation_steps', accumulate], ['total_train_batch_size', batch * accumulate]);
  items.push(
    [
      'optimizer',
      `AdamW with betas=(0.9,0.999) and epsilon=${f.adam_epsilon ?? 1e-8}, weight_decay=${f.weight_decay ?? 0}`,
    ],
    ['lr_scheduler_type', f.lr_scheduler],
  );
  if (has('warmup_steps') && Number(f.warmup_steps) > 0) items.push(['lr_scheduler_warmup_steps', f.warmup_steps]);
  if (has('warmup_ratio') && Number(f.warmup_ratio) > 0) items.push(['lr_scheduler_warmup_ratio', f.warmup_ratio]);
  items.push(['num_epochs', f.max_epochs]);
  if (has('max_steps') && Number(f.max_steps) > 0) items.push(['training_steps', f.max_steps]);
  items.push(['max_length', f.max_length], ['max_grad_norm', f.max_grad_norm]);
  if (m.run.mixedPrecision)
    items.push(['mixed_precision_training', `${m.run.mixedPrecision.precision} (loss scaling)`]);
  if (has('dropout')) items.push(['dropout', f.dropout]);
  if (m.task?.labelSmoothing) items.push(['label_smoothing_factor', m.task.labelSmoothing]);
  if (m.task?.classWeights)
    items.push([
      'class_weights',
      `${m.task.classWeightsFrom ?? 'given'}: ${m.task.classWeights.map((w, i) => `${m.labels[i]} ${n4(w)}`).join(', ')}`,
    ]);
  const lines = items.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `- ${k}: ${md(v)}`);
  return `## Training procedure\n\n### Training hyperparameters\n\nThe following hyperparameters were used during training:\n\n${lines.join('\n')}`;
}

function epochsTable(m: MetricsFile): string {
  if (m.epochs.length === 0) return '';
  const multi = m.task?.problemType === 'multi_label_classification';
  const rows = m.epochs.map((e) => [
    String(e.epoch) + (e.epoch === m.bestEpoch ? ' (best)' : ''),
    String(e.step),
    n4(e.trainLoss),
    n4(e.validation?.loss),
    n4(e.validation?.accuracy),
    n4(e.validation?.f1),
  ]);
  return `### Training results\n\n${table(['Epoch', 'Step', 'Training Loss', 'Validation Loss', multi ? 'Subset accuracy' : 'Accuracy', 'F1 (macro)'], rows)}`;
}

function versionsSection(c: ModelCardInput): string {
  const v = c.versions;
  return [
    '### Framework versions',
    '',
    `- textclf ${md(v.textclf)}`,
    `- onnxruntime-node ${md(v.onnxruntime)} (training)`,
    `- Weights: model.safetensors and config.json in the Hugging Face Transformers layout`,
    `- ONNX: ${
      onnxFiles(c.files)
        .map((f) => `\`${f}\``)
        .join(', ') || 'none'
    }, for transformers.js${v.transformersJs ? ` (checked with @huggingface/transformers ${md(v.transformersJs)})` : ''}`,
  ].join('\n');
}

function onnxFiles(files: string[]): string[] {
  return files.filter((f) => /^onnx\/[\w.-]+\.onnx$/.test(f)).sort();
}

function usage(c: ModelCardInput, multi: boolean): string {
  const id = c.repoId; // owner/name as the Hub allows them: letters, digits, - _ . only
  const q8 = c.files.includes('onnx/model_quantized.onnx');
  const js = [
    '```js',
    "import { pipeline } from '@huggingface/transformers';",
    '',
    `const classify = await pipeline('text-classification', '${id}', { dtype: '${q8 ? 'q8' : 'fp32'}' });`,
    `console.log(await classify('I loved this movie!'${multi ? ', { top_k: null }' : ''}));`,
    '```',
  ];
  const py = [
    '```python',
    'from transformers import pipeline',
    '',
    `classifier = pipeline("text-classification", model="${id}"${multi ? ', top_k=None' : ''})`,
    'print(classifier("I loved this movie!"))',
    '```',
  ];
  // transformers.js's default dtype differs by runtime (q8 in the browser, fp32 in Node): say it.
  const dtype = q8
    ? "`{ dtype: 'q8' }` loads `onnx/model_quantized.onnx` (int8, about a quarter of the size; the browser's default), `{ dtype: 'fp32' }` loads `onnx/model.onnx` (Node's default)."
    : "This repo has the float32 export only (`onnx/model.onnx`): pass `{ dtype: 'fp32' }`, since transformers.js looks for `onnx/model_quantized.onnx` by default in the browser.";
  return [
    '## How to use',
    '',
    '### transformers.js (JavaScript, ONNX)',
    '',
    dtype,
    '',
    ...js,
    '',
    '### Transformers (Python)',
    '',
    ...py,
  ].join('\n');
}

function hubLink(hubUrl: string, path: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/${path}`;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** YAML block lines for plain data (objects, arrays, strings, numbers, booleans); keys are our own words. */
export function yamlLines(value: Record<string, unknown>, indent = ''): string[] {
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      out.push(`${indent}${key}:`);
      for (const item of v) out.push(...yamlItem(item, indent));
    } else if (v !== null && typeof v === 'object') {
      out.push(`${indent}${key}:`, ...yamlLines(v as Record<string, unknown>, `${indent}  `));
    } else out.push(`${indent}${key}: ${yamlScalar(v)}`);
  }
  return out;
}

function yamlItem(item: unknown, indent: string): string[] {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const lines = yamlLines(item as Record<string, unknown>, `${indent}  `);
    return lines.length ? [`${indent}- ${lines[0].slice(indent.length + 2)}`, ...lines.slice(1)] : [`${indent}- {}`];
  }
  return [`${indent}- ${yamlScalar(item)}`];
}

/**
 * A YAML scalar that parses back to the same value in YAML 1.1 and 1.2 (PyYAML, js-yaml, yaml):
 * strings double-quoted with JSON's escapes plus \u escapes for what YAML 1.1 reads as line
 * breaks or refuses (NEL, LS, PS, C1 controls, BOM, U+FFFE/FFFF); numbers in a form every
 * resolver reads as a float (an exponent needs a dot and a sign in YAML 1.1).
 */
export function yamlScalar(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : v < 0 ? '-.inf' : '.nan';
    const s = String(v);
    const exp = /^(-?\d+)(\.\d+)?e([+-]?)(\d+)$/.exec(s);
    return exp ? `${exp[1]}${exp[2] ?? '.0'}e${exp[3] || '+'}${exp[4]}` : s;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(String(v)).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
