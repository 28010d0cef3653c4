// Weights for a SequenceClassifier from a safetensors checkpoint, the way Hugging Face's
// from_pretrained does it: key variants are renamed (the family's CheckpointKeys), checkpoint-only
// weights are reported as unused, missing weights (and a task head whose shape does not fit the
// data's labels) are newly initialised from a seeded PRNG and reported.
import type { ParamSpec } from '../engine/contract.js';
import { numElements } from '../util/shape.js';
import { ModelError } from './errors.js';
import type { CheckpointKeys, SequenceClassifier } from './family.js';
import { readSafetensors } from './safetensors.js';

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

export interface WeightRules {
  keys: CheckpointKeys;
  /** The HF class, for the messages. */
  architecture: string;
  /** A fresh value for a parameter the checkpoint lacks. */
  init(spec: ParamSpec): Float32Array;
}

/** Fresh weights for every parameter of `model` (no checkpoint). */
export function initWeights(model: SequenceClassifier, seed: number): Map<string, Float32Array> {
  return new Map(model.params.map((s) => [s.name, model.initParam(s, seed)]));
}

export function loadWeights(
  weightsPath: string,
  model: SequenceClassifier,
  opts: { seed: number; modelName?: string },
): LoadedWeights {
  return loadWeightsWith(
    weightsPath,
    model.params,
    {
      keys: model.keys,
      architecture: model.architecture,
      init: (s) => model.initParam(s, opts.seed),
    },
    opts.modelName,
  );
}

export function loadWeightsWith(
  weightsPath: string,
  specs: ParamSpec[],
  rules: WeightRules,
  modelName?: string,
): LoadedWeights {
  const { tensors } = readSafetensors(weightsPath);
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const found = new Map<string, { key: string; shape: number[]; data: Float32Array }>();
  const unexpected: string[] = [];
  for (const [key, t] of tensors) {
    const name = rules.keys.canonical(key);
    if (rules.keys.ignored.some((r) => r.test(name))) continue;
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
  const isHead = (name: string) => rules.keys.head.some((p) => name.startsWith(p));
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
    if (f && !isHead(s.name)) {
      throw new ModelError(
        weightsPath,
        `${weightsPath}: '${f.key}' has shape [${f.shape}] but config.json implies [${s.shape}] for ${s.name}; config.json and the weights do not belong together`,
      );
    }
    if (f) mismatched.push({ name: s.name, found: f.shape, expected: s.shape });
    else missing.push(s.name);
    values.set(s.name, rules.init(s));
  }
  if (values.size !== specs.length || specs.some((s) => values.get(s.name)!.length !== numElements(s.shape))) {
    throw new Error('internal: weight table does not match the parameter list');
  }
  return {
    values,
    missing,
    unexpected,
    mismatched,
    warnings: warningsFor(rules.architecture, modelName ?? weightsPath, missing, unexpected, mismatched),
  };
}

/** The messages transformers' from_pretrained logs (modeling_utils._load_pretrained_model). */
function warningsFor(
  cls: string,
  at: string,
  missing: string[],
  unexpected: string[],
  mismatched: LoadReport['mismatched'],
): string[] {
  const out: string[] = [];
  const list = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;
  const base = cls.replace(/For\w+$/, 'ForPreTraining');
  if (unexpected.length) {
    out.push(
      `Some weights of the model checkpoint at ${at} were not used when initializing ${cls}: ${list(unexpected)}\n` +
        `- This IS expected if you are initializing ${cls} from the checkpoint of a model trained on another task or with another architecture (e.g. initializing a ${cls} model from a ${base} model).\n` +
        `- This IS NOT expected if you are initializing ${cls} from the checkpoint of a model that you expect to be exactly identical (initializing a ${cls} model from a ${cls} model).`,
    );
  }
  if (missing.length) {
    out.push(
      `Some weights of ${cls} were not initialized from the model checkpoint at ${at} and are newly initialized: ${list(missing)}\n` +
        'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
    );
  }
  if (mismatched.length) {
    out.push(
      `Some weights of ${cls} were not initialized from the model checkpoint at ${at} and are newly initialized because the shapes did not match:\n` +
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
