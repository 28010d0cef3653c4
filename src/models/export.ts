// Inference export: onnx/model.onnx built from the same forward code (eval semantics: no dropout,
// no labels), weights as initializers, plus the JSON files @huggingface/transformers needs to load
// the directory in pipeline('text-classification', dir); and the files transformers.js loads for
// its other dtypes: model_quantized.onnx (q8: int8 weights, onnx/quantize.ts) and model_fp16.onnx
// (fp16: the float16 forward with float16 weights, onnx/float16-weights.ts).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, type Value } from '../onnx/graph.js';
import { storeFloat16Weights } from '../onnx/float16-weights.js';
import { quantizeDynamic } from '../onnx/quantize.js';
import { toModelBytes } from '../onnx/serialize.js';
import type { ComputeType } from '../engine/contract.js';
import { replaceFileAtomic, writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import type { SequenceClassifier } from './family.js';
import { writeSafetensors, type SafeTensor } from './safetensors.js';

/** The ONNX exports a model dir can hold, by transformers.js's dtype names. */
export type ExportDtype = 'fp32' | 'q8' | 'fp16';
/** Their files under onnx/ (transformers.js's names: model{,_quantized,_fp16}.onnx). */
export const EXPORT_FILES: Record<ExportDtype, string> = {
  fp32: 'model.onnx',
  q8: 'model_quantized.onnx',
  fp16: 'model_fp16.onnx',
};

/**
 * The model's inputs (no labels) -> logits, with every parameter an initializer. `compute` float16:
 * the mixed-precision forward (matmuls and activations in float16, LayerNorm and softmax in float32).
 */
export function buildInferenceGraph(
  model: SequenceClassifier,
  weights: Map<string, Float32Array>,
  compute?: ComputeType,
): Graph {
  const g = new Graph(model.architecture.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase());
  const batch: Record<string, Value> = {};
  for (const b of model.batchInputs) if (b.name !== 'labels') batch[b.name] = g.input(b.name, b.dtype, b.shape);
  const params = new Map<string, Value>();
  for (const p of model.params) {
    const w = weights.get(p.name);
    if (!w) throw new Error(`export: no weights for parameter '${p.name}'`);
    params.set(p.name, g.initializer(p.name, 'float32', p.shape, w));
  }
  const { logits } = model.forward(g, params, batch, { train: false, ...(compute && { compute }) });
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
  /** Also write the ONNX exports (default true). */
  onnx?: boolean;
  /** Which: fp32 onnx/model.onnx, q8 onnx/model_quantized.onnx, fp16 onnx/model_fp16.onnx (default fp32). */
  dtypes?: readonly ExportDtype[];
}

/** The bytes of one export of the model (export-dtypes: how each is made). */
export function exportBytes(
  model: SequenceClassifier,
  weights: Map<string, Float32Array>,
  dtype: ExportDtype,
): Uint8Array {
  if (dtype === 'fp16')
    return toModelBytes(buildInferenceGraph(model, weights, 'float16'), {
      producer: 'textclf',
      transform: storeFloat16Weights,
    });
  return toModelBytes(buildInferenceGraph(model, weights), {
    producer: 'textclf',
    ...(dtype === 'q8' && { transform: (g) => quantizeDynamic(g).graph }),
  });
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
    for (const dtype of opts.dtypes ?? ['fp32'])
      writeFileAtomic(join(dir, 'onnx', EXPORT_FILES[dtype]), exportBytes(model, weights, dtype));
}
