// The loss of the classification head, shared by every model family so that task options (class
// weights, label smoothing, multi-label) live in one place: mean softmax cross-entropy over the
// batch, as Hugging Face's *ForSequenceClassification computes it for single-label problems.
import type { Graph, Value } from '../onnx/graph.js';

export function classificationLoss(g: Graph, logits: Value, labels: Value): Value {
  return g.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' });
}
