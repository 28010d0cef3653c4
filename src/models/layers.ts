// The building blocks the model families share, as Hugging Face's torch.nn modules are: each
// declares its parameters in a Scope when the model is built, and emits its ONNX ops into the
// graph of one forward pass (an Emitter). Hidden states are 2-D [tokens, hidden] wherever possible,
// so every Linear is one Gemm(x, W, b, transB=1) on the HF [out, in] weight (no weight transposes).
import type { DType } from '../onnx/dtype.js';
import { float, type Attr, type Graph, type Value } from '../onnx/graph.js';
import type { Scope } from './scope.js';

/** One forward pass being emitted: the graph, parameter values, train/eval mode, dropout seeds. */
export class Emitter {
  private dropouts = 0;

  constructor(
    readonly g: Graph,
    private readonly params: Map<string, Value>,
    readonly train: boolean,
    readonly dtype: DType,
    private readonly seed: number,
    private readonly model: string,
  ) {}

  param(name: string): Value {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.model} forward: parameter '${name}' was not provided`);
    return v;
  }

  /** Dropout in training mode (each node seeded with seed + its index, in emission order); identity otherwise. */
  dropout(x: Value, ratio: number): Value {
    if (!this.train || ratio <= 0) return x;
    const { g } = this;
    const seed = this.seed + ++this.dropouts;
    return g.node('Dropout', [x, g.scalar(ratio, x), g.constant('bool', [1], [])], { seed })[0];
  }
}

export class Linear {
  readonly weight: string;
  readonly bias?: string;

  constructor(s: Scope, inFeatures: number, outFeatures: number, opts: { bias?: boolean } = {}) {
    this.weight = s.param('weight', [outFeatures, inFeatures], true);
    if (opts.bias ?? true) this.bias = s.param('bias', [outFeatures], false);
  }

  /** alpha * x W^T + beta * b (alpha/beta fold constant scales into the Gemm for free). */
  apply(e: Emitter, x: Value, alpha = 1, beta = 1): Value {
    const attrs: Record<string, Attr> = { transB: 1 };
    if (alpha !== 1) attrs.alpha = float(alpha);
    if (beta !== 1 && this.bias) attrs.beta = float(beta);
    const inputs = [x, e.param(this.weight), ...(this.bias ? [e.param(this.bias)] : [])];
    return e.g.op('Gemm', inputs, attrs);
  }
}

export class Embedding {
  readonly weight: string;

  constructor(s: Scope, count: number, dim: number) {
    this.weight = s.param('weight', [count, dim], true);
  }

  lookup(e: Emitter, ids: Value): Value {
    return e.g.op('Gather', [e.param(this.weight), ids]);
  }
}

export class LayerNorm {
  readonly weight: string;
  readonly bias?: string;

  constructor(
    s: Scope,
    readonly dim: number,
    readonly eps: number,
    opts: { bias?: boolean } = {},
  ) {
    this.weight = s.param('weight', [dim], false);
    if (opts.bias ?? true) this.bias = s.param('bias', [dim], false);
  }

  apply(e: Emitter, x: Value): Value {
    // float32: keep the Mean/InvStdDev outputs for the gradient. float64 (gradient checks): ORT
    // has no double-stash kernel and the default float32 stash would mix types, so the gradient
    // recomputes the statistics instead.
    const outputs = x.dtype === 'float64' ? 1 : 3;
    const bias = this.bias ? e.param(this.bias) : undefined;
    return e.g.node(
      'LayerNormalization',
      [x, e.param(this.weight), bias],
      { axis: -1, epsilon: float(this.eps) },
      { outputs },
    )[0];
  }
}

/**
 * Exact GELU between two Linears, gelu(h) = h/2 * (1 + erf(h/sqrt2)). Training: with u = h/sqrt2
 * (scaled inside the first Gemm), gelu is u * (1 + erf(u)) / sqrt2 and the 1/sqrt2 goes into the
 * second Gemm's alpha: 3 elementwise ops instead of 5, forward and backward. Eval/export: the
 * textbook pattern, which ORT's optimizer fuses into its Gelu kernel.
 */
export function geluFeedForward(e: Emitter, x: Value, up: Linear, down: Linear): Value {
  const { g } = e;
  if (!e.train && x.dtype === 'float32') {
    const h = up.apply(e, x);
    const erf = g.op('Erf', [g.op('Div', [h, g.scalar(Math.SQRT2, h)])]);
    return down.apply(e, g.op('Mul', [g.op('Mul', [h, g.op('Add', [erf, g.scalar(1, h)])]), g.scalar(0.5, h)]));
  }
  const u = up.apply(e, x, Math.SQRT1_2, Math.SQRT1_2);
  let erf = g.op('Erf', [x.dtype === 'float64' ? g.op('Cast', [u], { to: 1 }) : u]);
  // ORT's CPU Erf is float32-only: a float64 graph (gradient checks) evaluates erf in float32.
  if (x.dtype === 'float64') erf = g.op('Cast', [erf], { to: 11 });
  return down.apply(e, g.op('Mul', [u, g.op('Add', [erf, g.scalar(1, u)])]), Math.SQRT1_2);
}

/**
 * Records dims known at build time that shape inference cannot derive (reshapes to run-time
 * shapes). Keeping the batch/seq symbols lets autodiff reduce broadcasts statically.
 */
export function assertShape(v: Value, shape: (number | string)[]): Value {
  if (v.rank !== shape.length) throw new Error(`internal: '${v.name}' has rank ${v.rank}, expected [${shape}]`);
  (v.shape as (number | string)[]).splice(0, v.shape.length, ...shape);
  return v;
}
