// The contract between the train-step graph and an optimizer: per-step scalars come in as graph
// values (float64, so the bias-correction arithmetic matches torch's Python floats), the update is
// emitted as plain ONNX ops on float32 parameters.
import type { Graph, Value } from '../onnx/graph.js';

export interface ParamSpec {
  /** A trainable parameter as the optimizer sees it. Stable name (Hugging Face names for BERT); also the checkpoint key. */
  name: string;
  shape: number[];
  /** AdamW weight decay applies (false for biases and LayerNorm weights). */
  decay: boolean;
  /**
   * The forward pass reads it by rows only (an embedding table's Gather), so the training state
   * may hold it in row shards when it is over a device's buffer limit (engine/state-layout.ts).
   */
  rowsOnly?: boolean;
}

export interface StepScalars {
  /** Learning rate of this step, float64 scalar (float32 in graphs for webgpu: no float64 there). */
  lr: Value;
  /** 1-based number of this optimizer step, float64 scalar (torch's `state['step']` after += 1; float32 on webgpu). */
  t: Value;
}

export interface ParamUpdateIn {
  spec: ParamSpec;
  p: Value;
  grad: Value;
  /** One value per optimizer slot, in `slots` order. */
  state: Value[];
}

export interface ParamUpdateOut {
  p: Value;
  state: Value[];
}

export interface GraphOptimizer {
  readonly kind: string;
  /** Per-parameter state tensors, shaped like the parameter (torch names: exp_avg, ...). */
  readonly slots: readonly string[];
  /** Emits the update of every parameter for one step into `g`. */
  update(g: Graph, params: ParamUpdateIn[], s: StepScalars): ParamUpdateOut[];
}

/** float64 scalar -> float32 scalar (coefficients are computed once per step in double). */
export function toF32(g: Graph, v: Value): Value {
  return v.dtype === 'float32' ? v : g.op('Cast', [v], { to: 1 });
}
