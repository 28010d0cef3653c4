// Forward-only graph for evaluation and prediction: batch inputs + parameters in, logits (and the
// mean loss when labels are fed) out. No gradients, no optimizer state; the runner feeds it the
// same parameter tensors as the step graph.
import { Graph, GraphBuildError } from '../onnx/graph.js';
import type { BatchInputSpec, TrainableModel } from './contract.js';

export interface EvalGraph {
  graph: Graph;
  inputs: BatchInputSpec[];
  withLabels: boolean;
}

export function buildEvalGraph(model: TrainableModel, opts: { labels: boolean }): EvalGraph {
  const g = new Graph(opts.labels ? 'eval' : 'predict');
  const inputs = model.batchInputs.filter((b) => opts.labels || b.name !== 'labels');
  const batch = Object.fromEntries(inputs.map((b) => [b.name, g.input(b.name, b.dtype, b.shape)]));
  const params = new Map(model.params.map((p) => [p.name, g.input(p.name, 'float32', p.shape)]));
  const { loss, logits } = model.forward(g, params, batch, { train: false });
  g.output(logits, 'logits');
  if (opts.labels) {
    if (!loss) throw new GraphBuildError('eval graph: labels were given but the model returned no loss');
    g.output(loss, 'loss');
  }
  return { graph: g, inputs, withLabels: opts.labels };
}
