// Inference export: onnx/model.onnx built from the same forward code (eval semantics: no dropout,
// no labels), weights as initializers, plus the JSON files @huggingface/transformers needs to load
// the directory in pipeline('text-classification', dir).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, type Value } from '../onnx/graph.js';
import { toModelBytes } from '../onnx/serialize.js';
import { replaceFileAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import type { SequenceClassifier } from './family.js';
import { writeSafetensors, type SafeTensor } from './safetensors.js';

/** The model's inputs (no labels) -> logits, with every parameter an initializer. */
export function buildInferenceGraph(model: SequenceClassifier, weights: Map<string, Float32Array>): Graph {
  const g = new Graph(model.architecture.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase());
  const batch: Record<string, Value> = {};
  for (const b of model.batchInputs) if (b.name !== 'labels') batch[b.name] = g.input(b.name, b.dtype, b.shape);
  const params = new Map<string, Value>();
  for (const p of model.params) {
    const w = weights.get(p.name);
    if (!w) throw new Error(`export: no weights for parameter '${p.name}'`);
    params.set(p.name, g.initializer(p.name, 'float32', p.shape, w));
  }
  const { logits } = model.forward(g, params, batch, { train: false });
  g.output(logits, 'logits');
  return g;
}

export interface ExportOptions {
  labels: string[];
  /** tokenizer.json to copy next to the model (needed by pipeline()). */
  tokenizerJson?: string;
  /** vocab.txt to copy (kept for Python users). */
  vocabTxt?: string;
  doLowerCase?: boolean;
  maxLength?: number;
  /** Also write onnx/model.onnx (default true). */
  onnx?: boolean;
}

/** Writes a Hugging Face model directory: config.json, model.safetensors, tokenizer files, onnx/model.onnx. */
export function writeModelDir(
  dir: string,
  model: SequenceClassifier,
  weights: Map<string, Float32Array>,
  opts: ExportOptions,
): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, SafeTensor>();
  for (const p of model.params) tensors.set(p.name, { dtype: 'float32', shape: p.shape, data: weights.get(p.name)! });
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), model.checkpointConfig(opts.labels));
  writeJsonAtomic(
    join(dir, 'tokenizer_config.json'),
    model.tokenizerConfig({ doLowerCase: opts.doLowerCase, maxLength: opts.maxLength }),
  );
  for (const [src, name] of [
    [opts.tokenizerJson, 'tokenizer.json'],
    [opts.vocabTxt, 'vocab.txt'],
  ] as const) {
    if (src && existsSync(src) && src !== join(dir, name)) {
      replaceFileAtomic(join(dir, name), (tmp) => copyFileSync(src, tmp));
    }
  }
  if (opts.onnx !== false)
    writeFileAtomic(
      join(dir, 'onnx', 'model.onnx'),
      toModelBytes(buildInferenceGraph(model, weights), { producer: 'textclf' }),
    );
}
