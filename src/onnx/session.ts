// Thin layer over onnxruntime-node: sessions from Graphs, tensors from typed arrays.
import * as ort from 'onnxruntime-node';
import type { DType, TypedArray } from './dtype.js';
import type { Graph } from './graph.js';
import { toModelBytes } from './serialize.js';

export { ort };

export interface SessionOptions {
  executionProviders?: ort.InferenceSession.SessionOptions['executionProviders'];
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ORT's verbose log on stderr (lists where each node is placed; the placement test reads it). */
  verbose?: boolean;
  /** Per output: where ORT leaves it ('gpu-buffer' keeps a WebGPU output on the device; default cpu). */
  preferredOutputLocation?: Record<string, 'cpu' | 'gpu-buffer'>;
}

export async function sessionFor(
  graphOrBytes: Graph | Uint8Array,
  opts: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const bytes = graphOrBytes instanceof Uint8Array ? graphOrBytes : toModelBytes(graphOrBytes);
  return ort.InferenceSession.create(bytes, {
    executionProviders: opts.executionProviders ?? ['cpu'],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: opts.intraOpNumThreads ?? 0,
    interOpNumThreads: 1,
    ...(opts.preferredOutputLocation ? { preferredOutputLocation: opts.preferredOutputLocation } : {}),
    // Memory patterns pre-plan one arena block per input shape; with dynamic padding every batch
    // has a new shape, so they only add ~200 MB of peak RSS on BERT-mini without saving time.
    enableMemPattern: false,
    // Busy-waiting worker threads steal the core the JS thread needs between runs (batching,
    // metrics) and hurt badly on shared runners; measured faster here with spinning off.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(opts.verbose ? { logSeverityLevel: 0, logVerbosityLevel: 0 } : {}),
  });
}

export function tensor(dtype: DType, data: TypedArray, dims: readonly number[]): ort.Tensor {
  // (the casts pick one overload; ort checks that data matches dtype at run time)
  return new ort.Tensor(dtype as 'float32', data as Float32Array, dims);
}
