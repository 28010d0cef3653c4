// What the training runner needs from a model (BERT, the test MLP, ...): its parameters and a
// function that emits its forward pass into a graph. The runner adds gradients and the optimizer.
import type { DType } from '../onnx/dtype.js';
import type { Graph, Shape, Value } from '../onnx/graph.js';
import type { ParamSpec } from '../optim/types.js';

export type { ParamSpec };

export interface BatchInputSpec {
  name: string;
  dtype: DType;
  /** Shape of one micro-batch, symbolic dims allowed (e.g. ['batch', 'seq']). */
  shape: Shape;
}

/**
 * The symbolic dim of padded token positions. Inputs that have it may be fed padded longer than a
 * micro-batch needs (a run's rows share one length): each step cuts them to that micro-batch's own
 * length, so padding the run costs no compute.
 */
export const SEQ_DIM = 'seq';

/**
 * The float type of a mixed-precision forward pass (--precision 16-mixed / bf16-mixed): matmuls,
 * activations and their gradients in it; parameters, LayerNorm, softmax and the loss in float32.
 */
export type ComputeType = 'float16' | 'bfloat16';

export interface ForwardOptions {
  /** Dropout on. */
  train: boolean;
  /** Mixed precision (absent: everything in the parameters' type). Logits come out float32 either way. */
  compute?: ComputeType;
  /**
   * Training with dropout: makes (on first use) an int64 scalar, which draw of the dropout masks
   * this forward pass is (the step's global index x accumulate + the micro-batch's;
   * models/dropout.ts). The masks are a function of the seed and this index only, so every device
   * and every run layout draws the same.
   */
  draw?: () => Value;
}

export interface ForwardOutputs {
  /** Mean loss over the batch (scalar); present when the batch has labels. */
  loss?: Value;
  /** [batch, num_labels] */
  logits: Value;
}

export interface TrainableModel {
  readonly params: ParamSpec[];
  /** Inputs of one batch, labels last (eval graphs drop inputs named 'labels'). */
  readonly batchInputs: BatchInputSpec[];
  /**
   * Emits the forward pass into `g`; `train` enables dropout. `params` gives each parameter's value
   * by name (in training and evaluation a ParamViews: views of the state buffers, see
   * param-views.ts, whose `joined` gives adjacent parameters as one tensor). A model that ignores
   * `compute` trains in float32 under mixed precision (loss scaling still applies).
   */
  forward(g: Graph, params: Map<string, Value>, batch: Record<string, Value>, opts: ForwardOptions): ForwardOutputs;
}
