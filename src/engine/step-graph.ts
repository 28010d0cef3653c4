// The train-step graph: K optimizer steps in one ORT run. A Scan walks the stacked inputs
// [K, A, ...micro-batch]: each step cuts its A micro-batches to their own length, runs forward ->
// loss -> autodiff gradients (averaged over the A micro-batches, like Lightning's
// accumulate_grad_batches) -> global-norm clipping -> optimizer. The training state (parameters
// and optimizer slots, laid out by a StateLayout: a few flat buffers) is the Scan's state, so it
// crosses the ORT boundary once per K steps; Scan keeps it in two fixed buffers between steps
// (a Loop allocates fresh state every iteration and copies it once more at the end).
// `loop: false` builds the same step as a plain graph (K = 1).
// On a device without Scan (GraphCaps.scan: WebGPU) the A micro-batches are unrolled instead of an
// inner Scan: the WebGPU EP has no Scan kernel, and a Scan on the CPU EP would pull the parameters
// and gradient sums through host memory on every step. A is fixed when the graph is built, so the
// unrolled graph is the Scan's body A times, summed in the Scan's order (the same float32 results).
// The graph is emitted in plain ONNX and legalized for the device (onnx/legalize.ts): the forward
// pass before autodiff, so the gradients are those of the legalized forms, and the whole graph at
// the end. Dropout's masks are keyed by each micro-batch's draw index, step_index x A + a.
// Mixed precision (`precision`): the forward and backward passes in float16/bfloat16 (the model
// emits the casts), the loss scaled by the scaler state's S before autodiff, the gradients
// unscaled before clipping, and a step with a non-finite gradient norm skipped (loss-scale.ts).
import { zerosOfShape } from '../autodiff/helpers.js';
import { Graph, GraphBuildError, subgraph, type Dim, type Value } from '../onnx/graph.js';
import { legalize } from '../onnx/legalize.js';
import { graphCapsOf, type GraphCaps } from '../runtime/capabilities.js';
import { clipGradNorm } from '../optim/clip.js';
import { makeOptimizer, type OptimizerConfig } from '../optim/index.js';
import {
  isFiniteScalar,
  keepUnlessFinite,
  lossScaleOf,
  unscaleGrads,
  updateScaler,
  type LossScalerConfig,
} from '../optim/loss-scale.js';
import type { GraphOptimizer } from '../optim/types.js';
import { SEQ_DIM, type ComputeType, type TrainableModel } from './contract.js';
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
  /** What the device's graphs may contain (default: the CPU's): legalize rules, float64, Scan, buffer limit. */
  graphs?: GraphCaps;
  /** Mixed precision with dynamic loss scaling (absent: float32 throughout). */
  precision?: MixedPrecision;
}

export interface MixedPrecision {
  /** The forward/backward compute type. */
  compute: ComputeType;
  scaler?: LossScalerConfig;
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
  /** dtype of lr and step: float64 (torch's Python floats), float32 where the device has no float64 kernels. */
  scalars: 'float64' | 'float32';
  /** int64 [K]: each step's global index (steps taken before it, skipped ones included): dropout's draws. */
  stepIndex: string;
  /** int64 [K, A]: each micro-batch's length; inputs with a 'seq' dim are cut to it (absent without such inputs). */
  seqLen?: string;
  /** Every state tensor, group-major, 'param' first then the optimizer's slots. */
  state: StateIO[];
  /** float32 [K]: mean loss of each step; float32 [K]: gradient norm before clipping. */
  loss: string;
  gradNorm: string;
  /** Mixed precision only: the loss scaler's state, float32 [2] = [S, finite steps since S changed]. */
  scaler?: { input: string; output: string };
  /** Mixed precision only: bool [K], the steps skipped for a non-finite gradient norm. */
  skipped?: string;
  /** Mixed precision only: float32 [K], the loss scale S each step ran with. */
  lossScale?: string;
}

export interface StepGraph {
  graph: Graph;
  io: StepGraphIO;
  optimizer: GraphOptimizer;
  layout: StateLayout;
  accumulate: number;
  loop: boolean;
  precision?: MixedPrecision;
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
  const caps = opts.graphs ?? graphCapsOf({ kind: 'cpu' });
  const optimizer = makeOptimizer(opts.optimizer);
  const layout = StateLayout.plan(model.params, opts.layout, {
    maxBytes: caps.maxBufferBytes,
    limitSource: caps.limitSource,
  });
  const slots = [PARAM_SLOT, ...optimizer.slots];
  const g = new Graph(loop ? 'train_steps' : 'train_step');
  const scalars = caps.float64 ? 'float64' : 'float32';
  const K = loop ? STEPS_DIM : 1;

  const stacked = model.batchInputs.map((b) => g.input(b.name, b.dtype, [K, A, ...b.shape]));
  const lr = g.input('lr', scalars, [K]);
  const step0 = g.input('step', scalars, []);
  const stepIndex = g.input('step_index', 'int64', [K]);
  const hasSeq = model.batchInputs.some((b) => b.shape.includes(SEQ_DIM));
  const seqLen = hasSeq ? g.input('seq_len', 'int64', [K, A]) : undefined;
  const state = layout.groups.flatMap((grp) =>
    slots.map((slot) => ({ group: grp, slot, value: g.input(stateInput(slot, grp), 'float32', grp.shape) })),
  );
  const amp = opts.precision;
  const scaler = amp && g.input('loss_scaler', 'float32', [2]);
  const io: StepGraphIO = {
    batch: model.batchInputs.map((b) => b.name),
    lr: lr.name,
    step: step0.name,
    scalars,
    stepIndex: stepIndex.name,
    seqLen: seqLen?.name,
    state: [],
    loss: 'loss',
    gradNorm: 'grad_norm',
    ...(amp && { skipped: 'skipped', lossScale: 'loss_scale' }),
  };
  const step = { model, optimizer, layout, A, maxGradNorm: opts.maxGradNorm ?? 0, slots, amp, caps };
  const done = { graph: g, io, optimizer, layout, accumulate: A, loop, precision: amp };

  if (!loop) {
    const first = (x: Value) => g.op('Squeeze', [x, g.ints([0])]);
    const out = emitStep(g, {
      ...step,
      micro: stacked.map(first),
      seqLen: seqLen && first(seqLen),
      lr: first(lr),
      t: step0,
      index: once(() => first(stepIndex)),
      state: state.map((s) => s.value),
      scaler,
    });
    // Outputs keep their op-generated names (no Identity copies of parameters); io names them.
    out.state.forEach((v, i) => {
      g.output(v);
      io.state.push({ group: state[i].group, slot: state[i].slot, input: state[i].value.name, output: v.name });
    });
    g.output(g.op('Unsqueeze', [out.loss, g.ints([0])], {}, { outputNames: [io.loss] }));
    g.output(g.op('Unsqueeze', [out.norm, g.ints([0])], {}, { outputNames: [io.gradNorm] }));
    if (out.amp && scaler) {
      g.output(out.amp.scaler);
      io.scaler = { input: scaler.name, output: out.amp.scaler.name };
      g.output(g.op('Unsqueeze', [out.amp.skipped, g.ints([0])], {}, { outputNames: [io.skipped!] }));
      g.output(g.op('Reshape', [out.amp.scale, g.ints([1])], {}, { outputNames: [io.lossScale!] }));
    }
    legalize(g, caps.legalize);
    return done;
  }

  const body = subgraph(g, 'step_body');
  const t = body.input('t', scalars, []);
  const carried = state.map((s) => body.input(`carried.${s.value.name}`, 'float32', s.group.shape));
  // The scaler state is carried after the training state (Scan: state inputs before scanned ones).
  const carriedScaler = scaler && body.input('carried.loss_scaler', 'float32', [2]);
  const micro = model.batchInputs.map((b) => body.input(`step.${b.name}`, b.dtype, [A, ...b.shape]));
  const stepLr = body.input('step.lr', scalars, []);
  const stepSeq = seqLen && body.input('step.seq_len', 'int64', [A]);
  const stepIdx = body.input('step.step_index', 'int64', []);
  const out = emitStep(body, {
    ...step,
    micro,
    seqLen: stepSeq,
    lr: stepLr,
    t,
    index: () => stepIdx,
    state: carried,
    scaler: carriedScaler,
  });
  body.output(out.t);
  out.state.forEach((v) => body.output(v));
  if (out.amp) body.output(out.amp.scaler);
  body.output(out.loss);
  body.output(out.norm);
  if (out.amp) {
    body.output(out.amp.skipped);
    body.output(body.op('Squeeze', [out.amp.scale, body.ints([0])]));
  }

  const ampOut = scaler ? ['updated.loss_scaler'] : [];
  const outNames = [
    'step_out',
    ...state.map((s) => `updated.${s.value.name}`),
    ...ampOut,
    io.loss,
    io.gradNorm,
    ...(amp ? [io.skipped!, io.lossScale!] : []),
  ];
  const scanned = [...stacked, lr, ...(seqLen ? [seqLen] : []), stepIndex];
  const outs = g.node(
    'Scan',
    [step0, ...state.map((s) => s.value), ...(scaler ? [scaler] : []), ...scanned],
    { body, num_scan_inputs: scanned.length },
    { outputNames: outNames },
  );
  outs.forEach((v) => g.output(v));
  state.forEach((s, i) =>
    io.state.push({ group: s.group, slot: s.slot, input: s.value.name, output: outs[i + 1].name }),
  );
  if (scaler) io.scaler = { input: scaler.name, output: ampOut[0] };
  legalize(g, caps.legalize);
  return done;
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
  /** int64 scalar: this step's global index (dropout's draws; made on first use). */
  index: () => Value;
  caps: GraphCaps;
  /** State values, group-major in `slots` order. */
  state: Value[];
  amp?: MixedPrecision;
  /** Mixed precision: the loss scaler's state. */
  scaler?: Value;
}

interface StepOut {
  t: Value;
  state: Value[];
  loss: Value;
  norm: Value;
  /** Mixed precision: the scaler's next state, whether this step was skipped, the scale it used. */
  amp?: { scaler: Value; skipped: Value; scale: Value };
}

/** One optimizer step emitted into `g` (the Scan body, or the top graph when K = 1). */
function emitStep(g: Graph, s: StepParts): StepOut {
  const per = s.slots.length;
  const buffers = s.layout.groups.map((_, i) => s.state[i * per]);
  const scale = s.scaler && lossScaleOf(g, s.scaler);
  const { loss, grads: raw } =
    s.A === 1
      ? lossAndGrads(
          g,
          s,
          buffers,
          s.micro.map((x) => g.op('Squeeze', [x, g.ints([0])])),
          s.seqLen && pick(g, s.seqLen, 0),
          scale,
          s.index,
        )
      : s.caps.scan
        ? accumulated(g, s, buffers, scale)
        : unrolled(g, s, buffers, scale);
  const grads = scale ? unscaleGrads(g, raw, scale) : raw;
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
  const next = updated.flatMap((u) => [u.p, ...u.state]);
  if (!s.scaler || !scale) return { t, state: next, loss, norm };
  // A non-finite step keeps every state tensor and the step counter as they were.
  const finite = isFiniteScalar(g, norm);
  return {
    t: keepUnlessFinite(g, finite, t, s.t),
    state: next.map((v, i) => keepUnlessFinite(g, finite, v, s.state[i])),
    loss,
    norm,
    amp: { scaler: updateScaler(g, s.scaler, finite, s.amp?.scaler), skipped: g.op('Not', [finite]), scale },
  };
}

/** Element `i` of a 1-D value, as a scalar. */
function pick(g: Graph, v: Value, i: number): Value {
  return g.op('Gather', [v, g.scalar(i, 'int64')], { axis: 0 });
}

/**
 * Forward + loss + gradients of one micro-batch (its inputs cut to `len` along their 'seq' dims);
 * `draw` makes its dropout draw index when the model has dropout.
 */
function lossAndGrads(
  g: Graph,
  s: StepParts,
  buffers: Value[],
  micro: Value[],
  len: Value | undefined,
  scale: Value | undefined,
  draw: () => Value,
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
  let made: Value | undefined;
  const { loss } = s.model.forward(g, views, batch, {
    train: true,
    compute: s.amp?.compute,
    draw: () => (made ??= draw()),
  });
  if (!loss)
    throw new GraphBuildError('train step: the model returned no loss (is the labels input last in batchInputs?)');
  if (loss.rank !== 0 || loss.dtype !== 'float32')
    throw new GraphBuildError(`train step: loss must be a float32 scalar, got ${loss}`);
  // The forward pass in the device's forms before autodiff differentiates it.
  legalize(g, s.caps.legalize);
  // Mixed precision: the gradients of S * loss (unscaled by the caller).
  const scaled = scale ? g.op('Mul', [loss, g.op('Squeeze', [scale, g.ints([0])])]) : loss;
  return { loss, grads: views.gradients(scaled) };
}

/** The draw index of micro-batch `a` (int64 scalar) of this step: step_index x A + a. */
function drawIndex(g: Graph, s: StepParts, a: Value): Value {
  return g.op('Add', [g.op('Mul', [s.index(), g.scalar(s.A, 'int64')]), a]);
}

/** `make()` on the first call, its value after. */
function once<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

/**
 * A micro-batches through an inner Scan that sums gradients and losses; the step then uses their
 * means (Lightning divides each micro-batch loss by A before backward: the same average).
 */
function accumulated(g: Graph, s: StepParts, buffers: Value[], scale?: Value): { loss: Value; grads: Value[] } {
  const inner = subgraph(g, `${g.name}_micro`);
  const lossIn = inner.input('loss_sum', 'float32', []);
  const accIn = s.layout.groups.map((grp) => inner.input(`grad_sum:${grp.name}`, 'float32', grp.shape));
  const micro = s.model.batchInputs.map((b, i) => inner.input(`micro.${b.name}`, b.dtype, s.micro[i].shape.slice(1)));
  const len = s.seqLen && inner.input('micro.seq_len', 'int64', []);
  const a = inner.input('micro.index', 'int64', []);
  const { loss, grads } = lossAndGrads(inner, s, buffers, micro, len, scale, () => drawIndex(inner, s, a));
  inner.output(inner.op('Add', [lossIn, loss]));
  grads.forEach((d, i) => inner.output(inner.op('Add', [accIn[i], d])));

  const zeros = s.layout.groups.map((grp) => zerosOfShape(g, g.ints(grp.shape), 'float32'));
  const scanned = [...s.micro, ...(s.seqLen ? [s.seqLen] : []), g.ints([...Array(s.A).keys()])];
  const [lossSum, ...sums] = g.node('Scan', [g.scalar(0, 'float32'), ...zeros, ...scanned], {
    body: inner,
    num_scan_inputs: scanned.length,
  });
  const invA = g.scalar(1 / s.A, 'float32');
  return { loss: g.op('Mul', [lossSum, invA]), grads: sums.map((d) => g.op('Mul', [d, invA])) };
}

/**
 * The A micro-batches one after another in `g` (no Scan: webgpu), their losses and gradients
 * summed left to right from the first, as the inner Scan adds them, then averaged.
 */
function unrolled(g: Graph, s: StepParts, buffers: Value[], scale?: Value): { loss: Value; grads: Value[] } {
  const parts = Array.from({ length: s.A }, (_, a) =>
    lossAndGrads(
      g,
      s,
      buffers,
      s.micro.map((x) => pick(g, x, a)),
      s.seqLen && pick(g, s.seqLen, a),
      scale,
      () => drawIndex(g, s, g.scalar(a, 'int64')),
    ),
  );
  const invA = g.scalar(1 / s.A, 'float32');
  const sum = (vs: Value[]) => vs.slice(1).reduce((acc, v) => g.op('Add', [acc, v]), vs[0]);
  return {
    loss: g.op('Mul', [sum(parts.map((p) => p.loss)), invA]),
    grads: buffers.map((_, i) => g.op('Mul', [sum(parts.map((p) => p.grads[i])), invA])),
  };
}
