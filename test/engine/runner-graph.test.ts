// Structure of the train-step graph: parameters and optimizer state cross the hot path without
// Identity copies, Casts or Transposes, and the Loop carries them (inputs -> Loop -> outputs).
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/graph.js';
import type { Graph, Node, Value } from '../../src/onnx/graph.js';
import type { TrainableModel } from '../../src/engine/contract.js';
import { buildStepGraph } from '../../src/engine/step-graph.js';
import { Mlp } from '../helpers/mlp.js';

const COPY_OPS = new Set(['Identity', 'Cast', 'Transpose', 'Expand', 'Tile']);

/** Every node of g and its subgraphs, with the graph that holds it. */
function allNodes(g: Graph): Node[] {
  return g.nodes.flatMap((n) => [
    n,
    ...Object.values(n.attrs).flatMap((a) => (a && typeof a === 'object' && 'nodes' in a ? allNodes(a as Graph) : [])),
  ]);
}

function copiesOf(nodes: Node[], values: Set<Value>): string[] {
  return nodes
    .filter((n) => COPY_OPS.has(n.opType) && n.inputs.some((v) => v && values.has(v)))
    .map((n) => `${n.opType} ${n.name} <- ${n.inputs.map((v) => v?.name).join(',')}`);
}

const bert = new BertModel(
  parseBertConfig({
    model_type: 'bert',
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    vocab_size: 50,
    max_position_embeddings: 32,
    type_vocab_size: 2,
  }),
  2,
);

describe.each([
  ['MLP', new Mlp([4, 8, 3])],
  ['BERT', bert],
] as [string, TrainableModel][])('step graph structure (%s)', (_name, model) => {
  test.each([true, false])('loop=%s: no Identity/Cast/Transpose/Expand of parameters or optimizer state', (loop) => {
    const sg = buildStepGraph(model, { optimizer: { kind: 'adamw', weightDecay: 0.01 }, maxGradNorm: 1, loop });
    const nodes = allNodes(sg.graph);
    // Parameter-shaped values on the hot path: graph inputs for params/state, Loop body inputs.
    const hot = new Set<Value>(sg.graph.inputs.filter((v) => sg.io.paramIn.has(v.name) || sg.io.stateIn.has(v.name)));
    for (const n of nodes) if (n.opType === 'Loop') (n.attrs.body as Graph).inputs.forEach((v) => hot.add(v));
    expect(copiesOf(nodes, hot)).toEqual([]);
    // Graph outputs are produced by the update (or the Loop), not by Identity copies.
    const producers = sg.graph.outputs.map((o) => o.value.producer?.opType);
    expect(producers.filter((p) => p === 'Identity')).toEqual([]);
    expect(sg.graph.outputs).toHaveLength(model.params.length * 3 + 2 + (loop ? 1 : 0));
    if (loop) {
      const loops = sg.graph.nodes.filter((n) => n.opType === 'Loop');
      expect(loops).toHaveLength(1);
      // carried: step, params, m, v (the batches are read from outer scope, not carried)
      expect(loops[0].inputs.length).toBe(2 + 1 + model.params.length * 3);
    }
  });
});
