// Dynamic loss scaling as torch.cuda.amp.GradScaler does it, as graph pieces: the loss is scaled by
// S before the backward pass (so small float16 gradients do not flush to zero), the float32
// gradients are unscaled before clipping, and a step whose gradient norm is not finite is skipped
// (the optimizer state is kept as it was and the step counter does not advance) and halves S; S
// doubles after `growthInterval` finite steps in a row (when the doubled scale is finite).
// The scaler state is one float32 [2] tensor, [S, finite steps since S last changed], carried
// like the parameters.
import type { Graph, Value } from '../onnx/graph.js';

export interface LossScalerConfig {
  /** Finite steps before S doubles (torch: 2000). */
  growthInterval?: number;
  /** torch: 2. */
  growthFactor?: number;
  /** torch: 0.5. */
  backoffFactor?: number;
}

/** torch.cuda.amp.GradScaler's initial scale. */
export const DEFAULT_INIT_SCALE = 2 ** 16;
export const DEFAULT_GROWTH_INTERVAL = 2000;

/** The scaler state of a run that has not stepped yet. */
export function initialScalerState(initScale = DEFAULT_INIT_SCALE): Float32Array {
  if (!(initScale > 0) || !Number.isFinite(initScale))
    throw new Error(`loss scale: the initial scale must be a finite number > 0, got ${initScale}`);
  return Float32Array.of(initScale, 0);
}

/** S, as a float32 [1] value, from the scaler state. */
export function lossScaleOf(g: Graph, state: Value): Value {
  return g.op('Slice', [state, g.ints([0]), g.ints([1]), g.ints([0])]);
}

/** d(loss)/d(.) from d(S loss)/d(.): every gradient times 1/S, in float32. */
export function unscaleGrads(g: Graph, grads: Value[], scale: Value): Value[] {
  const inv = g.op('Reciprocal', [scale]);
  return grads.map((d) => g.op('Mul', [d, inv]));
}

/** bool scalar: the gradient norm is finite (not inf, not NaN: NaN < inf is false). */
export function isFiniteScalar(g: Graph, x: Value): Value {
  return g.op('Less', [x, g.scalar(Infinity, x)]);
}

/** `updated` where the step is finite, else `kept` (a skipped step leaves the state bit for bit). */
export function keepUnlessFinite(g: Graph, finite: Value, updated: Value, kept: Value): Value {
  return g.op('Where', [finite, updated, kept]);
}

/** The scaler state after a step: S halved on a non-finite step, doubled after growthInterval finite ones. */
export function updateScaler(g: Graph, state: Value, finite: Value, cfg: LossScalerConfig = {}): Value {
  const interval = cfg.growthInterval ?? DEFAULT_GROWTH_INTERVAL;
  const f = (v: number) => g.scalar(v, 'float32');
  const scale = lossScaleOf(g, state);
  const tracker = g.op('Slice', [state, g.ints([1]), g.ints([2]), g.ints([0])]);
  const counted = g.op('Add', [tracker, f(1)]);
  const grown = g.op('Mul', [scale, f(cfg.growthFactor ?? 2)]);
  // counted == interval (counts are small integers, exact in float32): grow when the grown scale
  // is finite, and start counting again either way (torch's _amp_update_scale_).
  const due = g.op('Less', [f(interval - 0.5), counted]);
  const onFinite = g.op('Where', [g.op('And', [due, isFiniteScalar(g, grown)]), grown, scale]);
  const newScale = g.op('Where', [finite, onFinite, g.op('Mul', [scale, f(cfg.backoffFactor ?? 0.5)])]);
  const newTracker = g.op('Where', [finite, g.op('Where', [due, f(0), counted]), f(0)]);
  return g.op('Concat', [newScale, newTracker], { axis: 0 });
}
