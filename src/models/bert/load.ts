// Weights for BertForSequenceClassification from a safetensors checkpoint, the way Hugging Face's
// from_pretrained does it: legacy key variants are renamed, checkpoint-only weights are reported
// as unused, missing weights (and a classifier whose shape does not fit the data's labels) are
// newly initialised from a seeded PRNG and reported.
import { ModelError } from '../errors.js';
import { readSafetensors } from '../safetensors.js';
import type { ParamSpec } from '../../engine/contract.js';
import type { BertConfig } from './config.js';
import { initParam } from './init.js';
import { numElements } from '../../util/shape.js';

export interface LoadReport {
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; found: number[]; expected: number[] }[];
  /** HF-style warnings, ready to log (empty when everything matched). */
  warnings: string[];
}

export interface LoadedWeights extends LoadReport {
  values: Map<string, Float32Array>;
}

/** Buffers (not parameters) some checkpoints carry; HF drops them without a word. */
const IGNORED = [/^bert\.embeddings\.position_ids$/, /^bert\.embeddings\.token_type_ids$/];
const BASE_PREFIXES = ['embeddings.', 'encoder.', 'pooler.'];
const CLASS = 'BertForSequenceClassification';

/** The HF name a checkpoint key refers to (BertModel keys lack `bert.`; TF-era LayerNorm used gamma/beta). */
export function canonicalKey(key: string): string {
  let k = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (BASE_PREFIXES.some((p) => k.startsWith(p))) k = `bert.${k}`;
  return k;
}

/** Fresh weights for every parameter (no checkpoint): normal(0, initializer_range), biases 0, LayerNorm 1. */
export function initBertWeights(specs: ParamSpec[], cfg: BertConfig, seed: number): Map<string, Float32Array> {
  return new Map(specs.map((s) => [s.name, initParam(s.name, s.shape, cfg.initializerRange, seed)]));
}

export function loadBertWeights(
  weightsPath: string,
  specs: ParamSpec[],
  cfg: BertConfig,
  opts: { seed: number; modelName?: string },
): LoadedWeights {
  const { tensors } = readSafetensors(weightsPath);
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const found = new Map<string, { key: string; shape: number[]; data: Float32Array }>();
  const unexpected: string[] = [];
  for (const [key, t] of tensors) {
    const name = canonicalKey(key);
    if (IGNORED.some((r) => r.test(name))) continue;
    if (!wanted.has(name) || t.dtype !== 'float32') {
      unexpected.push(key);
      continue;
    }
    const prev = found.get(name);
    if (prev)
      throw new ModelError(
        weightsPath,
        `${weightsPath}: both '${prev.key}' and '${key}' hold ${name}; keep one of them`,
      );
    found.set(name, { key, shape: t.shape, data: t.data });
  }
  const values = new Map<string, Float32Array>();
  const missing: string[] = [];
  const mismatched: LoadReport['mismatched'] = [];
  for (const s of specs) {
    const f = found.get(s.name);
    const sameShape = f && f.shape.length === s.shape.length && f.shape.every((d, i) => d === s.shape[i]);
    if (f && sameShape) {
      values.set(s.name, f.data);
      continue;
    }
    if (f && !s.name.startsWith('classifier.')) {
      throw new ModelError(
        weightsPath,
        `${weightsPath}: '${f.key}' has shape [${f.shape}] but config.json implies [${s.shape}] for ${s.name}; config.json and the weights do not belong together`,
      );
    }
    if (f) mismatched.push({ name: s.name, found: f.shape, expected: s.shape });
    else missing.push(s.name);
    values.set(s.name, initParam(s.name, s.shape, cfg.initializerRange, opts.seed));
  }
  if (values.size !== specs.length || [...values.values()].some((v, i) => v.length !== numElements(specs[i].shape))) {
    throw new Error('internal: weight table does not match the parameter list');
  }
  return {
    values,
    missing,
    unexpected,
    mismatched,
    warnings: warningsFor(opts.modelName ?? weightsPath, missing, unexpected, mismatched),
  };
}

/** The messages transformers' from_pretrained logs (modeling_utils._load_pretrained_model). */
function warningsFor(
  at: string,
  missing: string[],
  unexpected: string[],
  mismatched: LoadReport['mismatched'],
): string[] {
  const out: string[] = [];
  const list = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
  if (unexpected.length) {
    out.push(
      `Some weights of the model checkpoint at ${at} were not used when initializing ${CLASS}: ${list(unexpected)}\n` +
        `- This IS expected if you are initializing ${CLASS} from the checkpoint of a model trained on another task or with another architecture (e.g. initializing a ${CLASS} model from a BertForPreTraining model).\n` +
        `- This IS NOT expected if you are initializing ${CLASS} from the checkpoint of a model that you expect to be exactly identical (initializing a ${CLASS} model from a ${CLASS} model).`,
    );
  }
  if (missing.length) {
    out.push(
      `Some weights of ${CLASS} were not initialized from the model checkpoint at ${at} and are newly initialized: ${list(missing)}\n` +
        'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
    );
  }
  if (mismatched.length) {
    out.push(
      `Some weights of ${CLASS} were not initialized from the model checkpoint at ${at} and are newly initialized because the shapes did not match:\n` +
        mismatched
          .map(
            (m) =>
              `- ${m.name}: found shape [${m.found.join(', ')}] in the checkpoint and [${m.expected.join(', ')}] in the model instantiated`,
          )
          .join('\n') +
        '\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
    );
  }
  return out;
}
