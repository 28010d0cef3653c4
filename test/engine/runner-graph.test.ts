// Structure of the train-step graph: the state crosses the ORT boundary as a few flat buffers (one
// per weight-decay group), without Identity copies, Casts or Transposes; the Scan carries it; the
// optimizer is a handful of nodes; a layer's query/key/value are one Gemm on one view.
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/index.js';
import type { Graph, Node, Value } from '../../src/onnx/graph.js';
import type { TrainableModel } from '../../src/engine/contract.js';
import { buildStepGraph } from '../../src/engine/step-graph.js';
import { buildEvalGraph } from '../../src/engine/eval-graph.js';
import { StateLayout } from '../../src/engine/state-layout.js';
import { Mlp } from '../helpers/mlp.js';

const COPY_OPS = new Set(['Identity', 'Cast', 'Transpose', 'Expand', 'Tile']);

/** Every node of g and its subgraphs. */
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

const H = 32;
const bert = new BertModel(
  parseBertConfig({
    model_type: 'bert',
    hidden_size: H,
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
  test.each([true, false])(
    'loop=%s: two flat state buffers per slot, no copies of them, few optimizer nodes',
    (loop) => {
      const sg = buildStepGraph(model, { optimizer: { kind: 'adamw', weightDecay: 0.01 }, maxGradNorm: 1, loop });
      // decay / no-decay: parameters, exp_avg, exp_avg_sq
      expect(sg.layout.groups.map((g) => g.name)).toEqual(['#decay', '#no_decay']);
      expect(sg.io.state.map((s) => s.slot)).toEqual([
        'param',
        'exp_avg',
        'exp_avg_sq',
        'param',
        'exp_avg',
        'exp_avg_sq',
      ]);
      const nodes = allNodes(sg.graph);
      const hot = new Set<Value>(sg.graph.inputs.filter((v) => sg.io.state.some((s) => s.input === v.name)));
      // the Scan body's carried state and batch (not its int64 step counters, which dropout's draws read)
      for (const n of nodes)
        if (n.opType === 'Scan') (n.attrs.body as Graph).inputs.forEach((v) => v.dtype !== 'int64' && hot.add(v));
      expect(copiesOf(nodes, hot)).toEqual([]);
      // Graph outputs are produced by the update (or the Scan), not by Identity copies.
      expect(sg.graph.outputs.map((o) => o.value.producer?.opType).filter((p) => p === 'Identity')).toEqual([]);
      expect(sg.graph.outputs).toHaveLength(6 + 2 + (loop ? 1 : 0));
      // AdamW over whole buffers: a handful of nodes per buffer (the per-parameter graph had ~14 per parameter).
      const overBuffers = nodes.filter((n) =>
        sg.layout.groups.some((g) => n.outputs[0]?.shape.join() === g.shape.join() && n.opType !== 'Reshape'),
      );
      expect(overBuffers.filter((n) => n.opType === 'Sqrt')).toHaveLength(2);
      expect(overBuffers.length).toBeLessThanOrEqual(2 * 20);
      if (loop) {
        const scans = sg.graph.nodes.filter((n) => n.opType === 'Scan');
        expect(scans).toHaveLength(1);
        // state: step + 6 buffers; scanned: the batch inputs, lr, (BERT) the sequence lengths and the step indices
        const scanned = model.batchInputs.length + 1 + (model === bert ? 1 : 0) + 1;
        expect(scans[0].inputs).toHaveLength(1 + 6 + scanned);
        expect(scans[0].attrs.num_scan_inputs).toBe(scanned);
      }
    },
  );
});

test('per-param layout: one buffer per parameter in its own shape (the pre-flat graph)', () => {
  const sg = buildStepGraph(bert, { optimizer: { kind: 'adamw' }, layout: 'per-param' });
  expect(sg.layout.groups).toHaveLength(bert.params.length);
  expect(sg.layout.groups.map((g) => g.shape)).toEqual(bert.params.map((p) => p.shape));
  expect(sg.io.state).toHaveLength(bert.params.length * 3);
});

test('a large parameter holding >= 1/4 of its group gets a buffer of its own (no per-step copy)', () => {
  const big = new Mlp([2048, 600, 2]); // fc0.weight: 1.2M of 1.2M decay elements
  const layout = StateLayout.plan(big.params);
  expect(layout.groups.map((g) => [g.name, g.shape, g.single])).toEqual([
    ['fc0.weight', [600, 2048], true],
    ['#decay', [1200], false],
    ['#no_decay', [602], false],
  ]);
});

test("BERT: each layer's query/key/value are one Gemm on one [3H, H] view of the flat buffer", () => {
  const sg = buildStepGraph(bert, { optimizer: { kind: 'adamw' }, loop: true });
  const nodes = allNodes(sg.graph);
  const fused = nodes.filter((n) => n.opType === 'Gemm' && n.inputs[1]?.shape.join() === `${3 * H},${H}`);
  // forward + the input gradient (dy @ W) per layer
  expect(fused.filter((n) => n.attrs.transB === 1).map((n) => n.name)).toHaveLength(2);
  for (const n of fused.filter((m) => m.attrs.transB === 1)) {
    const view = n.inputs[1]!.producer!;
    expect(view.opType).toBe('Reshape');
    expect(view.inputs[0]!.producer!.opType).toBe('Slice'); // one Slice of the buffer, no Concat
  }
  // the eval graph fuses them too, and cuts its views once, outside its Scan
  const ev = buildEvalGraph(bert, sg.layout, { labels: true });
  const body = ev.graph.nodes.find((n) => n.opType === 'Scan')!.attrs.body as Graph;
  const names = (ns: Node[]) => ns.map((n) => `${n.opType} ${n.name}`);
  const buffers = new Set<Value>(ev.graph.inputs.filter((v) => ev.io.params.some((p) => p.input === v.name)));
  expect(ev.graph.nodes.filter((n) => n.opType === 'Slice' && buffers.has(n.inputs[0]!)).length).toBeGreaterThan(0);
  expect(names(body.nodes.filter((n) => n.opType === 'Slice' && buffers.has(n.inputs[0]!)))).toEqual([]);
  expect(
    names(body.nodes.filter((n) => n.opType === 'Gemm' && n.inputs[1]?.shape.join() === `${3 * H},${H}`)),
  ).toHaveLength(2);
  // eval: LayerNormalization without its Mean/InvStdDev outputs
  expect(body.nodes.filter((n) => n.opType === 'LayerNormalization').map((n) => n.outputs.length)).toEqual(
    Array(1 + 2 * 2).fill(1),
  );
});
