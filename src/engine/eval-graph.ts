// Forward-only graph for evaluation and prediction over E batches in one run: a Scan walks the
// stacked batch inputs [E, ...batch], cutting each batch to its own length (inputs with a 'seq'
// dim); logits [E, batch, labels] (and each batch's mean loss when labels are fed) come out. The
// parameters come in as the training state's parameter buffers, the same tensors the step graph
// updates, and their views are cut once per run, outside the Scan: a validation pass sends the
// parameters (to a GPU: copies them) once, not once per batch. No gradients, no optimizer state.
// `perBatch` (WebGPU): one batch per run, no Scan. The WebGPU EP has no Scan kernel, so a Scan
// runs on the CPU EP and its outer-scope parameter views cross host memory each run; the plain
// graph keeps every float op on the GPU and reads the resident parameter tensors where they are.
// Its batch inputs have the model's own shapes (fed at their own length: no padding, no seq_len),
// logits come out as [1, batch, labels] and the loss as [1], the Scan graph's shapes at E = 1.
import { Graph, GraphBuildError, subgraph, type Dim, type Value } from '../onnx/graph.js';
import { legalize, type LegalizeTarget } from '../onnx/legalize.js';
import { SEQ_DIM, type BatchInputSpec, type TrainableModel } from './contract.js';
import { ParamViews } from './param-views.js';
import type { StateGroup, StateLayout } from './state-layout.js';
import { PARAM_SLOT, stateInput } from './step-graph.js';

export interface EvalGraphIO {
  /** Batch input name -> graph input, shaped [E, ...batch shape] ([...batch shape] when perBatch). */
  batch: string[];
  /** int64 [E]: each batch's length (absent when no input has a 'seq' dim). */
  seqLen?: string;
  /** The parameter buffers, one per layout group (named like the step graph's). */
  params: { group: StateGroup; input: string }[];
  /** float32 [E, batch, labels]; float32 [E] when labels are fed. */
  logits: string;
  loss?: string;
}

export interface EvalGraph {
  graph: Graph;
  inputs: BatchInputSpec[];
  withLabels: boolean;
  /** One batch per run, no Scan (E = 1). */
  perBatch: boolean;
  io: EvalGraphIO;
}

export const BATCHES_DIM = 'batches';

export function buildEvalGraph(
  model: TrainableModel,
  layout: StateLayout,
  opts: { labels: boolean; legalize?: LegalizeTarget; perBatch?: boolean },
): EvalGraph {
  const g = new Graph(opts.labels ? 'eval' : 'predict');
  const inputs = model.batchInputs.filter((b) => opts.labels || b.name !== 'labels');
  const built = opts.perBatch
    ? perBatchGraph(g, model, layout, inputs, opts.labels)
    : scanGraph(g, model, layout, inputs, opts.labels);
  legalize(g, opts.legalize ?? 'any');
  return built;
}

/** E batches stacked, one Scan over them, the parameter views cut once outside it. */
function scanGraph(
  g: Graph,
  model: TrainableModel,
  layout: StateLayout,
  inputs: BatchInputSpec[],
  labels: boolean,
): EvalGraph {
  const opts = { labels };
  const stacked = inputs.map((b) => g.input(b.name, b.dtype, [BATCHES_DIM, ...b.shape]));
  const hasSeq = inputs.some((b) => b.shape.includes(SEQ_DIM));
  const seqLen = hasSeq ? g.input('seq_len', 'int64', [BATCHES_DIM]) : undefined;
  const buffers = layout.groups.map((grp) => g.input(stateInput(PARAM_SLOT, grp), 'float32', grp.shape));
  // Views in the outer graph: computed once per run, read by every batch (row shards are buffers).
  const views = new ParamViews(g, layout, buffers);
  for (const [name, pieces] of layout.pieces) if (pieces.length === 1) views.get(name);

  const body = subgraph(g, 'eval_body');
  const micro = inputs.map((b) => body.input(`batch.${b.name}`, b.dtype, b.shape));
  const len = seqLen && body.input('batch.seq_len', 'int64', []);
  const batch: Record<string, Value> = {};
  inputs.forEach((spec, i) => {
    const axis = spec.shape.indexOf(SEQ_DIM);
    if (axis < 0 || !len) {
      batch[spec.name] = micro[i];
      return;
    }
    const cut = body.op('Slice', [
      micro[i],
      body.ints([0]),
      body.op('Unsqueeze', [len, body.ints([0])]),
      body.ints([axis]),
    ]);
    (cut.shape as Dim[]).splice(0, cut.rank, ...spec.shape);
    batch[spec.name] = cut;
  });
  const { loss, logits } = model.forward(body, views, batch, { train: false });
  body.output(logits);
  if (opts.labels) {
    if (!loss) throw new GraphBuildError('eval graph: labels were given but the model returned no loss');
    body.output(loss);
  }
  const scanned = [...stacked, ...(seqLen ? [seqLen] : [])];
  const names = opts.labels ? ['logits', 'loss'] : ['logits'];
  g.node('Scan', scanned, { body, num_scan_inputs: scanned.length }, { outputNames: names }).forEach((v) =>
    g.output(v),
  );
  return {
    graph: g,
    inputs,
    withLabels: opts.labels,
    perBatch: false,
    io: {
      batch: inputs.map((b) => b.name),
      seqLen: seqLen?.name,
      params: layout.groups.map((grp, i) => ({ group: grp, input: buffers[i].name })),
      logits: 'logits',
      loss: opts.labels ? 'loss' : undefined,
    },
  };
}

/** One batch, fed at its own shape: the forward pass on the parameter buffers' views, no Scan. */
function perBatchGraph(
  g: Graph,
  model: TrainableModel,
  layout: StateLayout,
  inputs: BatchInputSpec[],
  labels: boolean,
): EvalGraph {
  const batch = Object.fromEntries(inputs.map((b) => [b.name, g.input(b.name, b.dtype, b.shape)]));
  const buffers = layout.groups.map((grp) => g.input(stateInput(PARAM_SLOT, grp), 'float32', grp.shape));
  const { loss, logits } = model.forward(g, new ParamViews(g, layout, buffers), batch, { train: false });
  g.output(g.op('Unsqueeze', [logits, g.ints([0])], {}, { outputNames: ['logits'] }));
  if (labels) {
    if (!loss) throw new GraphBuildError('eval graph: labels were given but the model returned no loss');
    g.output(g.op('Unsqueeze', [loss, g.ints([0])], {}, { outputNames: ['loss'] }));
  }
  return {
    graph: g,
    inputs,
    withLabels: labels,
    perBatch: true,
    io: {
      batch: inputs.map((b) => b.name),
      params: layout.groups.map((grp, i) => ({ group: grp, input: buffers[i].name })),
      logits: 'logits',
      loss: labels ? 'loss' : undefined,
    },
  };
}
