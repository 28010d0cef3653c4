// The train-step graph: K optimizer steps in one ORT run. Each step gathers its micro-batches from
// the stacked inputs [K, A, ...micro-batch], runs forward -> loss -> autodiff gradients (averaged
// over the A micro-batches, like Lightning's accumulate_grad_batches) -> global-norm clipping ->
// optimizer. Parameters and optimizer state are Loop-carried, so they cross the ORT boundary once
// per K steps. `loop: false` builds the same step as a plain graph (K = 1).
import { gradients } from '../autodiff/backward.js';
import { zerosOfShape } from '../autodiff/helpers.js';
import { Graph, GraphBuildError, subgraph, type Value } from '../onnx/graph.js';
import { clipGradNorm } from '../optim/clip.js';
import { makeOptimizer, type OptimizerConfig } from '../optim/index.js';
import type { GraphOptimizer } from '../optim/types.js';
import type { TrainableModel } from './contract.js';

export interface StepGraphOptions {
  optimizer: OptimizerConfig;
  /** Global gradient-norm clip (0 disables). */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step (A). */
  accumulate?: number;
  /** true (default): a Loop over a run-time number of steps K; false: a plain graph, K = 1. */
  loop?: boolean;
}

/** Names of the graph's inputs and outputs, for the runner. */
export interface StepGraphIO {
  /** Batch input name -> graph input, shaped [K, A, ...micro-batch shape]. */
  batch: string[];
  /** float64 [K]: the lr of each step. */
  lr: string;
  /** float64 scalar: optimizer steps completed before this run. */
  step: string;
  /** param name -> graph input / output name */
  paramIn: Map<string, string>;
  paramOut: Map<string, string>;
  /** state key (`<slot>.<param>`) -> graph input / output name */
  stateIn: Map<string, string>;
  stateOut: Map<string, string>;
  /** float32 [K]: mean loss of each step; float32 [K]: gradient norm before clipping. */
  loss: string;
  gradNorm: string;
}

export interface StepGraph {
  graph: Graph;
  io: StepGraphIO;
  optimizer: GraphOptimizer;
  accumulate: number;
  loop: boolean;
}

export const stateKey = (slot: string, param: string) => `${slot}.${param}`;
export const STEPS_DIM = 'steps';

export function buildStepGraph(model: TrainableModel, opts: StepGraphOptions): StepGraph {
  const A = opts.accumulate ?? 1;
  if (!Number.isInteger(A) || A < 1)
    throw new GraphBuildError(`accumulate_grad_batches must be an integer >= 1, got ${A}`);
  const loop = opts.loop ?? true;
  const optimizer = makeOptimizer(opts.optimizer);
  const g = new Graph(loop ? 'train_steps' : 'train_step');
  const K = loop ? STEPS_DIM : 1;

  const stacked = model.batchInputs.map((b) => g.input(b.name, b.dtype, [K, A, ...b.shape]));
  const lr = g.input('lr', 'float64', [K]);
  const step0 = g.input('step', 'float64', []);
  const params = model.params.map((p) => g.input(p.name, 'float32', p.shape));
  const states = model.params.map((p) => optimizer.slots.map((s) => g.input(stateKey(s, p.name), 'float32', p.shape)));

  const io: StepGraphIO = {
    batch: model.batchInputs.map((b) => b.name),
    lr: lr.name,
    step: step0.name,
    paramIn: new Map(params.map((v) => [v.name, v.name])),
    paramOut: new Map(),
    stateIn: new Map(states.flat().map((v) => [v.name, v.name])),
    stateOut: new Map(),
    loss: 'loss',
    gradNorm: 'grad_norm',
  };
  const stateKeys = model.params.flatMap((p) => optimizer.slots.map((s) => stateKey(s, p.name)));

  if (!loop) {
    const out = emitStep(g, {
      model,
      optimizer,
      A,
      maxGradNorm: opts.maxGradNorm ?? 0,
      stacked,
      lr,
      iter: g.scalar(0, 'int64'),
      t: step0,
      params,
      states,
    });
    // Outputs keep their op-generated names (no Identity copies of parameters); the io map names them.
    model.params.forEach((p, i) => {
      g.output(out.params[i]);
      io.paramOut.set(p.name, out.params[i].name);
    });
    out.states.flat().forEach((v, i) => {
      g.output(v);
      io.stateOut.set(stateKeys[i], v.name);
    });
    g.output(g.op('Unsqueeze', [out.loss, g.ints([0])], {}, { outputNames: [io.loss] }));
    g.output(g.op('Unsqueeze', [out.norm, g.ints([0])], {}, { outputNames: [io.gradNorm] }));
    return { graph: g, io, optimizer, accumulate: A, loop };
  }

  const body = subgraph(g, 'step_body');
  const iter = body.input('iter', 'int64', []);
  const cond = body.input('cond', 'bool', []);
  const t = body.input('t', 'float64', []);
  const bParams = model.params.map((p) => body.input(`carried.${p.name}`, 'float32', p.shape));
  const bStates = model.params.map((p) =>
    optimizer.slots.map((s) => body.input(`carried.${stateKey(s, p.name)}`, 'float32', p.shape)),
  );
  const out = emitStep(body, {
    model,
    optimizer,
    A,
    maxGradNorm: opts.maxGradNorm ?? 0,
    stacked,
    lr,
    iter,
    t,
    params: bParams,
    states: bStates,
  });
  body.output(cond);
  body.output(out.t);
  out.params.forEach((v) => body.output(v));
  out.states.flat().forEach((v) => body.output(v));
  body.output(out.loss);
  body.output(out.norm);

  const trip = g.op('Gather', [g.op('Shape', [lr]), g.scalar(0, 'int64')]);
  const outNames = [
    'step_out',
    ...model.params.map((p) => `updated.${p.name}`),
    ...stateKeys.map((k) => `updated.${k}`),
    io.loss,
    io.gradNorm,
  ];
  const outs = g.node('Loop', [trip, null, step0, ...params, ...states.flat()], { body }, { outputNames: outNames });
  outs.forEach((v) => g.output(v));
  model.params.forEach((p) => io.paramOut.set(p.name, `updated.${p.name}`));
  stateKeys.forEach((k) => io.stateOut.set(k, `updated.${k}`));
  return { graph: g, io, optimizer, accumulate: A, loop };
}

interface StepParts {
  model: TrainableModel;
  optimizer: GraphOptimizer;
  A: number;
  maxGradNorm: number;
  stacked: Value[];
  lr: Value;
  iter: Value;
  t: Value;
  params: Value[];
  states: Value[][];
}

/** One optimizer step emitted into `g` (the Loop body, or the top graph when K = 1). */
function emitStep(g: Graph, s: StepParts): { t: Value; params: Value[]; states: Value[][]; loss: Value; norm: Value } {
  const perStep = s.stacked.map((x) => g.op('Gather', [x, s.iter], { axis: 0 })); // [A, ...micro]
  const { loss, grads } =
    s.A === 1
      ? lossAndGrads(
          g,
          s,
          perStep.map((x) => g.op('Squeeze', [x, g.ints([0])])),
        )
      : accumulated(g, s, perStep);
  const { grads: clipped, norm } = clipGradNorm(g, grads, s.maxGradNorm);
  const t = g.op('Add', [s.t, g.scalar(1, 'float64')]);
  const lr = g.op('Gather', [s.lr, s.iter], { axis: 0 });
  const updated = s.optimizer.update(
    g,
    s.model.params.map((spec, i) => ({ spec, p: s.params[i], grad: clipped[i], state: s.states[i] })),
    { lr, t },
  );
  return { t, params: updated.map((u) => u.p), states: updated.map((u) => u.state), loss, norm };
}

function lossAndGrads(g: Graph, s: StepParts, micro: Value[]): { loss: Value; grads: Value[] } {
  const batch = Object.fromEntries(s.model.batchInputs.map((b, i) => [b.name, micro[i]]));
  const pmap = new Map(s.model.params.map((p, i) => [p.name, s.params[i]]));
  const { loss } = s.model.forward(g, pmap, batch, { train: true });
  if (!loss)
    throw new GraphBuildError('train step: the model returned no loss (is the labels input last in batchInputs?)');
  if (loss.rank !== 0 || loss.dtype !== 'float32')
    throw new GraphBuildError(`train step: loss must be a float32 scalar, got ${loss}`);
  return { loss, grads: gradients(loss, s.params) };
}

/**
 * A micro-batches through an inner Loop that sums gradients and losses; the step then uses their
 * means (Lightning divides each micro-batch loss by A before backward: the same average).
 */
function accumulated(g: Graph, s: StepParts, perStep: Value[]): { loss: Value; grads: Value[] } {
  const inner = subgraph(g, `${g.name}_micro`);
  const j = inner.input('micro', 'int64', []);
  const cond = inner.input('micro_cond', 'bool', []);
  const lossIn = inner.input('loss_sum', 'float32', []);
  const accIn = s.model.params.map((p) => inner.input(`grad_sum.${p.name}`, 'float32', p.shape));
  const micro = perStep.map((x) => inner.op('Gather', [x, j], { axis: 0 }));
  const { loss, grads } = lossAndGrads(inner, s, micro);
  inner.output(cond);
  inner.output(inner.op('Add', [lossIn, loss]));
  grads.forEach((d, i) => inner.output(inner.op('Add', [accIn[i], d])));

  const zeros = s.model.params.map((p) => zerosOfShape(g, g.ints(p.shape), 'float32'));
  const [lossSum, ...sums] = g.node('Loop', [g.scalar(s.A, 'int64'), null, g.scalar(0, 'float32'), ...zeros], {
    body: inner,
  });
  const invA = g.scalar(1 / s.A, 'float32');
  return { loss: g.op('Mul', [lossSum, invA]), grads: sums.map((d) => g.op('Mul', [d, invA])) };
}
