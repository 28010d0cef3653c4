// The train-step graph: K optimizer steps in one ORT run. A Scan walks the stacked inputs
// [K, A, ...micro-batch]: each step cuts its A micro-batches to their own length, runs forward ->
// loss -> autodiff gradients (averaged over the A micro-batches, like Lightning's
// accumulate_grad_batches) -> global-norm clipping -> optimizer. The training state (parameters
// and optimizer slots, laid out by a StateLayout: a few flat buffers) is the Scan's state, so it
// crosses the ORT boundary once per K steps; Scan keeps it in two fixed buffers between steps
// (a Loop allocates fresh state every iteration and copies it once more at the end).
// `loop: false` builds the same step as a plain graph (K = 1).
import { zerosOfShape } from '../autodiff/helpers.js';
import { Graph, GraphBuildError, subgraph, type Dim, type EmitTarget, type Value } from '../onnx/graph.js';
import { clipGradNorm } from '../optim/clip.js';
import { makeOptimizer, type OptimizerConfig } from '../optim/index.js';
import type { GraphOptimizer } from '../optim/types.js';
import { SEQ_DIM, type TrainableModel } from './contract.js';
import { ParamViews } from './param-views.js';
import { StateLayout, type LayoutKind, type StateGroup } from './state-layout.js';

export interface StepGraphOptions {
  optimizer: OptimizerConfig;
  /** Global gradient-norm clip (0 disables). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (A). */
  accumulate?: number;
  /** true (default): a Scan over a run-time number of steps K; false: a plain graph, K = 1. */
  loop?: boolean;
  /** How parameters and optimizer state are laid out in tensors (default 'flat'). */
  layout?: LayoutKind;
  /** The kernels to emit for (default 'any'; 'webgpu': float32 step scalars, see EmitTarget). */
  target?: EmitTarget;
}

/** One state tensor: a group's parameters ('param') or one optimizer slot of them. */
export interface StateIO {
  group: StateGroup;
  slot: string;
  input: string;
  output: string;
}

/** Names of the graph's inputs and outputs, for the runner. */
export interface StepGraphIO {
  /** Batch input name -> graph input, shaped [K, A, ...micro-batch shape]. */
  batch: string[];
  /** [K]: the lr of each step (dtype `scalars`). */
  lr: string;
  /** Scalar: optimizer steps completed before this run (dtype `scalars`). */
  step: string;
  /** dtype of lr and step: float64 (torch's Python floats), float32 on webgpu (no float64 kernels there). */
  scalars: 'float64' | 'float32';
  /** int64 [K, A]: each micro-batch's length; inputs with a 'seq' dim are cut to it (absent without such inputs). */
  seqLen?: string;
  /** Every state tensor, group-major, 'param' first then the optimizer's slots. */
  state: StateIO[];
  /** float32 [K]: mean loss of each step; float32 [K]: gradient norm before clipping. */
  loss: string;
  gradNorm: string;
}

export interface StepGraph {
  graph: Graph;
  io: StepGraphIO;
  optimizer: GraphOptimizer;
  layout: StateLayout;
  accumulate: number;
  loop: boolean;
}

export const PARAM_SLOT = 'param';
export const STEPS_DIM = 'steps';
/** Graph input name of a state tensor. */
export const stateInput = (slot: string, group: StateGroup) => `${slot}:${group.name}`;

export function buildStepGraph(model: TrainableModel, opts: StepGraphOptions): StepGraph {
  const A = opts.accumulate ?? 1;
  if (!Number.isInteger(A) || A < 1)
    throw new GraphBuildError(`accumulate_grad_batches must be an integer >= 1, got ${A}`);
  const loop = opts.loop ?? true;
  const optimizer = makeOptimizer(opts.optimizer);
  const layout = StateLayout.plan(model.params, opts.layout);
  const slots = [PARAM_SLOT, ...optimizer.slots];
  const g = new Graph(loop ? 'train_steps' : 'train_step');
  g.target = opts.target ?? 'any';
  const scalars = g.target === 'webgpu' ? 'float32' : 'float64';
  const K = loop ? STEPS_DIM : 1;

  const stacked = model.batchInputs.map((b) => g.input(b.name, b.dtype, [K, A, ...b.shape]));
  const lr = g.input('lr', scalars, [K]);
  const step0 = g.input('step', scalars, []);
  const hasSeq = model.batchInputs.some((b) => b.shape.includes(SEQ_DIM));
  const seqLen = hasSeq ? g.input('seq_len', 'int64', [K, A]) : undefined;
  const state = layout.groups.flatMap((grp) =>
    slots.map((slot) => ({ group: grp, slot, value: g.input(stateInput(slot, grp), 'float32', grp.shape) })),
  );
  const io: StepGraphIO = {
    batch: model.batchInputs.map((b) => b.name),
    lr: lr.name,
    step: step0.name,
    scalars,
    seqLen: seqLen?.name,
    state: [],
    loss: 'loss',
    gradNorm: 'grad_norm',
  };
  const step = { model, optimizer, layout, A, maxGradNorm: opts.maxGradNorm ?? 0, slots };

  if (!loop) {
    const first = (x: Value) => g.op('Squeeze', [x, g.ints([0])]);
    const out = emitStep(g, {
      ...step,
      micro: stacked.map(first),
      seqLen: seqLen && first(seqLen),
      lr: first(lr),
      t: step0,
      state: state.map((s) => s.value),
    });
    // Outputs keep their op-generated names (no Identity copies of parameters); io names them.
    out.state.forEach((v, i) => {
      g.output(v);
      io.state.push({ group: state[i].group, slot: state[i].slot, input: state[i].value.name, output: v.name });
    });
    g.output(g.op('Unsqueeze', [out.loss, g.ints([0])], {}, { outputNames: [io.loss] }));
    g.output(g.op('Unsqueeze', [out.norm, g.ints([0])], {}, { outputNames: [io.gradNorm] }));
    return { graph: g, io, optimizer, layout, accumulate: A, loop };
  }

  const body = subgraph(g, 'step_body');
  const t = body.input('t', scalars, []);
  const carried = state.map((s) => body.input(`carried.${s.value.name}`, 'float32', s.group.shape));
  const micro = model.batchInputs.map((b) => body.input(`step.${b.name}`, b.dtype, [A, ...b.shape]));
  const stepLr = body.input('step.lr', scalars, []);
  const stepSeq = seqLen && body.input('step.seq_len', 'int64', [A]);
  const out = emitStep(body, { ...step, micro, seqLen: stepSeq, lr: stepLr, t, state: carried });
  body.output(out.t);
  out.state.forEach((v) => body.output(v));
  body.output(out.loss);
  body.output(out.norm);

  const outNames = ['step_out', ...state.map((s) => `updated.${s.value.name}`), io.loss, io.gradNorm];
  const scanned = [...stacked, lr, ...(seqLen ? [seqLen] : [])];
  const outs = g.node(
    'Scan',
    [step0, ...state.map((s) => s.value), ...scanned],
    { body, num_scan_inputs: scanned.length },
    { outputNames: outNames },
  );
  outs.forEach((v) => g.output(v));
  state.forEach((s, i) =>
    io.state.push({ group: s.group, slot: s.slot, input: s.value.name, output: outs[i + 1].name }),
  );
  return { graph: g, io, optimizer, layout, accumulate: A, loop };
}

interface StepParts {
  model: TrainableModel;
  optimizer: GraphOptimizer;
  layout: StateLayout;
  A: number;
  maxGradNorm: number;
  slots: string[];
  /** This step's micro-batches, [A, ...micro-batch shape] per batch input. */
  micro: Value[];
  /** int64 [A]: the micro-batches' lengths. */
  seqLen?: Value;
  lr: Value;
  t: Value;
  /** State values, group-major in `slots` order. */
  state: Value[];
}

/** One optimizer step emitted into `g` (the Scan body, or the top graph when K = 1). */
function emitStep(g: Graph, s: StepParts): { t: Value; state: Value[]; loss: Value; norm: Value } {
  const per = s.slots.length;
  const buffers = s.layout.groups.map((_, i) => s.state[i * per]);
  const { loss, grads } =
    s.A === 1
      ? lossAndGrads(
          g,
          s,
          buffers,
          s.micro.map((x) => g.op('Squeeze', [x, g.ints([0])])),
          s.seqLen && pick(g, s.seqLen, 0),
        )
      : accumulated(g, s, buffers);
  const { grads: clipped, norm } = clipGradNorm(g, grads, s.maxGradNorm);
  const t = g.op('Add', [s.t, g.scalar(1, s.t)]);
  const updated = s.optimizer.update(
    g,
    s.layout.groups.map((grp, i) => ({
      spec: { name: grp.name, shape: grp.shape, decay: grp.decay },
      p: buffers[i],
      grad: clipped[i],
      state: s.state.slice(i * per + 1, (i + 1) * per),
    })),
    { lr: s.lr, t },
  );
  return { t, state: updated.flatMap((u) => [u.p, ...u.state]), loss, norm };
}

/** Element `i` of a 1-D value, as a scalar. */
function pick(g: Graph, v: Value, i: number): Value {
  return g.op('Gather', [v, g.scalar(i, 'int64')], { axis: 0 });
}

/** Forward + loss + gradients of one micro-batch (its inputs cut to `len` along their 'seq' dims). */
function lossAndGrads(
  g: Graph,
  s: StepParts,
  buffers: Value[],
  micro: Value[],
  len: Value | undefined,
): { loss: Value; grads: Value[] } {
  const batch = Object.fromEntries(
    s.model.batchInputs.map((spec, i) => {
      const axis = spec.shape.indexOf(SEQ_DIM);
      if (axis < 0 || !len) return [spec.name, micro[i]];
      const end = g.op('Unsqueeze', [len, g.ints([0])]);
      const cut = g.op('Slice', [micro[i], g.ints([0]), end, g.ints([axis])]);
      // The cut keeps the model's symbolic dims (shape inference only knows the end is run-time).
      (cut.shape as Dim[]).splice(0, cut.rank, ...spec.shape);
      return [spec.name, cut];
    }),
  );
  const views = new ParamViews(g, s.layout, buffers);
  const { loss } = s.model.forward(g, views, batch, { train: true });
  if (!loss)
    throw new GraphBuildError('train step: the model returned no loss (is the labels input last in batchInputs?)');
  if (loss.rank !== 0 || loss.dtype !== 'float32')
    throw new GraphBuildError(`train step: loss must be a float32 scalar, got ${loss}`);
  return { loss, grads: views.gradients(loss) };
}

/**
 * A micro-batches through an inner Scan that sums gradients and losses; the step then uses their
 * means (Lightning divides each micro-batch loss by A before backward: the same average).
 */
function accumulated(g: Graph, s: StepParts, buffers: Value[]): { loss: Value; grads: Value[] } {
  const inner = subgraph(g, `${g.name}_micro`);
  const lossIn = inner.input('loss_sum', 'float32', []);
  const accIn = s.layout.groups.map((grp) => inner.input(`grad_sum:${grp.name}`, 'float32', grp.shape));
  const micro = s.model.batchInputs.map((b, i) => inner.input(`micro.${b.name}`, b.dtype, s.micro[i].shape.slice(1)));
  const len = s.seqLen && inner.input('micro.seq_len', 'int64', []);
  const { loss, grads } = lossAndGrads(inner, s, buffers, micro, len);
  inner.output(inner.op('Add', [lossIn, loss]));
  grads.forEach((d, i) => inner.output(inner.op('Add', [accIn[i], d])));

  const zeros = s.layout.groups.map((grp) => zerosOfShape(g, g.ints(grp.shape), 'float32'));
  const scanned = [...s.micro, ...(s.seqLen ? [s.seqLen] : [])];
  const [lossSum, ...sums] = g.node('Scan', [g.scalar(0, 'float32'), ...zeros, ...scanned], {
    body: inner,
    num_scan_inputs: scanned.length,
  });
  const invA = g.scalar(1 / s.A, 'float32');
  return { loss: g.op('Mul', [lossSum, invA]), grads: sums.map((d) => g.op('Mul', [d, invA])) };
}
