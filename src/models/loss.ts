// The loss of the classification head, shared by every model family so that task options (class
// weights, label smoothing, multi-label) live in one place:
// - single-label: softmax cross-entropy, mean over the batch, as Hugging Face's
//   *ForSequenceClassification; with class weights and/or label smoothing exactly as
//   torch.nn.CrossEntropyLoss(weight, label_smoothing) computes them;
// - multi-label: BCE-with-logits, mean over every (row, label), as torch.nn.BCEWithLogitsLoss
//   (pos_weight = the class weights), with targets smoothed to y(1 - e) + e/2.
// Families also take their labels input and feed from here, since its shape follows the task.
import type { Batch } from '../data/types.js';
import type { BatchInputSpec } from '../engine/contract.js';
import type { FeedTensor } from '../engine/feeds.js';
import type { Graph, Value } from '../onnx/graph.js';

export type ProblemType = 'single_label_classification' | 'multi_label_classification';

export interface LossOptions {
  problemType?: ProblemType;
  /** Single-label: one weight per class (torch's `weight`); multi-label: one pos_weight per label. */
  classWeights?: readonly number[];
  /** Label smoothing in [0, 1]. */
  labelSmoothing?: number;
}

/** The labels graph input: class ids [batch] (int64), or multi-hot targets [batch, labels] (float32). */
export function labelInput(
  numLabels: number,
  problemType: ProblemType = 'single_label_classification',
): BatchInputSpec {
  return problemType === 'multi_label_classification'
    ? { name: 'labels', dtype: 'float32', shape: ['batch', numLabels] }
    : { name: 'labels', dtype: 'int64', shape: ['batch'] };
}

/** A batch's labels in the layout of labelInput. */
export function labelFeed(
  b: Batch,
  numLabels: number,
  problemType: ProblemType = 'single_label_classification',
): FeedTensor {
  if (problemType !== 'multi_label_classification') return { data: b.labels, dims: [b.batchSize] };
  if (!b.targets || b.targets.length !== b.batchSize * numLabels)
    throw new Error(`multi-label batch: expected ${b.batchSize} x ${numLabels} targets`);
  return { data: b.targets, dims: [b.batchSize, numLabels] };
}

export function classificationLoss(g: Graph, logits: Value, labels: Value, o: LossOptions = {}): Value {
  const smoothing = o.labelSmoothing ?? 0;
  if (o.problemType === 'multi_label_classification')
    return bceWithLogits(g, logits, labels, o.classWeights, smoothing);
  // The fused op (and its hand-written gradient) for the plain case: the parity-tested path (the
  // legalize pass gives WebGPU, which has no kernel for it, its primitive form).
  if (!o.classWeights && smoothing === 0)
    return g.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' });
  return weightedSmoothedCrossEntropy(g, logits, labels, o.classWeights, smoothing);
}

/**
 * torch's cross_entropy with weight w and smoothing e, reduction mean:
 *   loss = sum_i sum_c q_ic w_c (-log p_ic) / sum_i w_{y_i},  q_ic = (1 - e) [c = y_i] + e / C
 * (without weights w = 1 and the denominator is the batch size).
 */
function weightedSmoothedCrossEntropy(
  g: Graph,
  logits: Value,
  labels: Value,
  weights: readonly number[] | undefined,
  e: number,
): Value {
  const C = logits.shape[1];
  if (typeof C !== 'number') throw new Error('classification loss: the number of labels must be static');
  if (weights && weights.length !== C) throw new Error(`class weights: ${weights.length} weights for ${C} labels`);
  const logp = g.op('LogSoftmax', [logits], { axis: 1 });
  const onehot = oneHot(g, labels, C, logits);
  // q = (1 - e) * onehot + e / C
  const q = e > 0 ? g.op('Add', [g.op('Mul', [onehot, g.scalar(1 - e, logits)]), g.scalar(e / C, logits)]) : onehot;
  const w = weights ? g.constant(logits.dtype, weights.slice(), [C]) : undefined;
  const qw = w ? g.op('Mul', [q, w]) : q;
  const total = g.op('Neg', [g.op('ReduceSum', [g.op('Mul', [qw, logp])], { keepdims: 0 })]);
  // mean: divided by the summed weight of the rows' true classes (the batch size without weights)
  const denom = w
    ? g.op('ReduceSum', [g.op('Mul', [onehot, w])], { keepdims: 0 })
    : g.op('Cast', [g.op('Gather', [g.op('Shape', [logits]), g.scalar(0, 'int64')])], { to: floatTo(logits) });
  return g.op('Div', [total, denom]);
}

/**
 * torch's binary_cross_entropy_with_logits with pos_weight p, reduction mean, in its stable form:
 *   l = (1 - y) x + (1 + (p - 1) y) (log(1 + exp(-|x|)) + max(-x, 0))
 */
function bceWithLogits(
  g: Graph,
  logits: Value,
  targets: Value,
  posWeight: readonly number[] | undefined,
  e: number,
): Value {
  const L = logits.shape[1];
  if (posWeight && typeof L === 'number' && posWeight.length !== L)
    throw new Error(`class weights: ${posWeight.length} weights for ${L} labels`);
  const y0 = targets.dtype === logits.dtype ? targets : g.op('Cast', [targets], { to: floatTo(logits) });
  const y = e > 0 ? g.op('Add', [g.op('Mul', [y0, g.scalar(1 - e, logits)]), g.scalar(e / 2, logits)]) : y0;
  const negX = g.op('Neg', [logits]);
  const reluNeg = g.op('Relu', [negX]); // max(-x, 0)
  const absX = g.op('Add', [g.op('Relu', [logits]), reluNeg]); // |x| through Relu, whose gradient we have
  const softplusNeg = g.op('Add', [
    g.op('Log', [g.op('Add', [g.scalar(1, logits), g.op('Exp', [g.op('Neg', [absX])])])]),
    reluNeg,
  ]); // log(1 + exp(-x))
  const one = g.scalar(1, logits);
  const coef = posWeight
    ? g.op('Add', [
        one,
        g.op('Mul', [
          g.constant(
            logits.dtype,
            posWeight.map((p) => p - 1),
            [posWeight.length],
          ),
          y,
        ]),
      ])
    : one;
  const perElement = g.op('Add', [g.op('Mul', [g.op('Sub', [one, y]), logits]), g.op('Mul', [coef, softplusNeg])]);
  return g.op('ReduceMean', [perElement], { keepdims: 0 });
}

/** labels[:, None] == arange(C), in the logits' float type (OneHot has no float64 kernel in ORT). */
function oneHot(g: Graph, labels: Value, C: number, like: Value): Value {
  const classes = g.op('Range', [g.scalar(0, 'int64'), g.scalar(C, 'int64'), g.scalar(1, 'int64')]);
  const hit = g.op('Equal', [g.op('Unsqueeze', [g.op('Cast', [labels], { to: 7 }), g.ints([1])]), classes]);
  return g.op('Cast', [hit], { to: floatTo(like) });
}

const floatTo = (v: Value) => (v.dtype === 'float64' ? 11 : 1);
