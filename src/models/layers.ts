// The building blocks the model families share, as Hugging Face's torch.nn modules are: each
// declares its parameters in a Scope when the model is built, and emits its ONNX ops into the
// graph of one forward pass (an Emitter). Hidden states are 2-D [tokens, hidden] wherever possible,
// so every Linear is one Gemm(x, W, b, transB=1) on the HF [out, in] weight (no weight transposes).
import type { ComputeType } from '../engine/contract.js';
import { ParamViews } from '../engine/param-views.js';
import { ONNX_DTYPE, type DType } from '../onnx/dtype.js';
import { float, GraphBuildError, type Attr, type Graph, type Value } from '../onnx/graph.js';
import { sparseDropout } from './dropout.js';
import type { Scope } from './scope.js';

/**
 * One forward pass being emitted: the graph, parameter values, train/eval mode, dropout seeds, and
 * under mixed precision the compute type (`compute`): Linears and embeddings hand on their results
 * in it (weights cast once per step, autodiff casts their gradients back to float32), LayerNorm and
 * softmax run in float32 between casts, and the family casts its logits back for the loss.
 */
export class Emitter {
  private dropouts = 0;
  private readonly casts = new Map<string, Value>();

  constructor(
    readonly g: Graph,
    private readonly params: Map<string, Value>,
    readonly train: boolean,
    readonly dtype: DType,
    private readonly seed: number,
    private readonly model: string,
    readonly compute?: ComputeType,
    /** Makes the int64 scalar: which draw of the dropout masks this forward pass is (training only). */
    private readonly draw?: () => Value,
  ) {}

  /** The type activations flow in: the compute type under mixed precision, else the parameters'. */
  get act(): DType {
    return this.compute ?? this.dtype;
  }

  param(name: string): Value {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.model} forward: parameter '${name}' was not provided`);
    return v;
  }

  /** A matmul weight in the activation type (one Cast per parameter and step under mixed precision). */
  weight(name: string): Value {
    return this.cached(name, () => this.param(name));
  }

  /** `v` in the activation type. */
  toAct(v: Value): Value {
    return v.dtype === this.act ? v : this.g.op('Cast', [v], { to: ONNX_DTYPE[this.act] });
  }

  /** `v` in float32 (a no-op without mixed precision, where float32 or float64 stay as they are). */
  toFloat32(v: Value): Value {
    return this.compute && v.dtype !== 'float32' ? this.g.op('Cast', [v], { to: ONNX_DTYPE.float32 }) : v;
  }

  private cached(key: string, make: () => Value): Value {
    let v = this.casts.get(key);
    if (!v) {
      v = this.toAct(make());
      this.casts.set(key, v);
    }
    return v;
  }

  /**
   * True when the parameters are views of the training state (param-views.ts): parameters that are
   * adjacent there come out joined at no cost, so fusing their Linears saves Gemms.
   */
  get canJoin(): boolean {
    return this.params instanceof ParamViews;
  }

  /** Parameters `names` concatenated along axis 0 (one view when the state holds them adjacently). */
  joined(names: string[]): Value {
    return this.cached(`joined:${names.join('\n')}`, () => {
      if (this.params instanceof ParamViews) return this.params.joined(names);
      return this.g.op(
        'Concat',
        names.map((n) => this.param(n)),
        { axis: 0 },
      );
    });
  }

  /**
   * softmax(scores + bias) over the last axis. Mixed precision: in float32 (scores cast up, the
   * float32-min bias added there, so masked keys never overflow the compute type), probabilities
   * cast back.
   */
  softmax(scores: Value, bias?: Value): Value {
    const { g } = this;
    const s = this.toFloat32(scores);
    const probs = g.op('Softmax', [bias ? g.op('Add', [s, bias]) : s], { axis: -1 });
    return this.toAct(probs);
  }

  /**
   * Dropout in training mode, identity otherwise. Each site's masks are a function of the model
   * seed, the site's index in emission order and the forward pass's draw index (`draw`: the step's
   * global index x accumulate + the micro-batch's), so the same seed gives the same masks on every
   * device, for any number of steps per run, and after a resume (dropout.ts).
   */
  dropout(x: Value, ratio: number): Value {
    if (!this.train || ratio <= 0) return x;
    if (ratio >= 1) return this.g.op('Mul', [x, this.g.scalar(0, x)]);
    if (!this.draw)
      throw new GraphBuildError(
        `${this.model} forward: dropout in training needs the draw index (ForwardOptions.draw); the step graph passes it`,
      );
    return sparseDropout(this.g, x, ratio, { seed: this.seed, site: ++this.dropouts }, this.draw());
  }

  /**
   * Rows `ids` of the table `name` (a Gather). A table the training state holds in row shards
   * (a table over the device's buffer limit: state-layout.ts) is read shard by shard: each shard
   * gathers the ids in its row range, zeros elsewhere, and the shards' rows are added, so no tensor
   * of the table's size is made, forward or backward (each shard's gradient is its own ScatterND).
   */
  rows(name: string, ids: Value): Value {
    const shards = this.params instanceof ParamViews ? this.params.rowShards(name) : undefined;
    if (!shards) return this.g.op('Gather', [this.param(name), ids]);
    const { g } = this;
    const parts = shards.map((s) => {
      const local = s.start === 0 ? ids : g.op('Sub', [ids, g.scalar(s.start, ids)]);
      const inside = g.op('And', [
        g.op('Not', [g.op('Less', [local, g.scalar(0, ids)])]),
        g.op('Less', [local, g.scalar(s.rows, ids)]),
      ]);
      const rows = g.op('Gather', [s.value, g.op('Where', [inside, local, g.scalar(0, ids)])]);
      return g.op('Where', [g.op('Unsqueeze', [inside, g.ints([-1])]), rows, g.scalar(0, rows)]);
    });
    return parts.slice(1).reduce((acc, v) => g.op('Add', [acc, v]), parts[0]);
  }
}

export class Linear {
  readonly weight: string;
  readonly bias?: string;

  constructor(
    s: Scope,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean } = {},
  ) {
    this.weight = s.param('weight', [outFeatures, inFeatures], true);
    if (opts.bias ?? true) this.bias = s.param('bias', [outFeatures], false);
  }

  /** alpha * x W^T + beta * b (alpha/beta fold constant scales into the Gemm for free). */
  apply(e: Emitter, x: Value, alpha = 1, beta = 1): Value {
    const attrs: Record<string, Attr> = { transB: 1 };
    if (alpha !== 1) attrs.alpha = float(alpha);
    if (beta !== 1 && this.bias) attrs.beta = float(beta);
    const inputs = [e.toAct(x), e.weight(this.weight), ...(this.bias ? [e.weight(this.bias)] : [])];
    return e.g.op('Gemm', inputs, attrs);
  }
}

/**
 * Several Linears on the same input as one Gemm: x [W_1; ...; W_n]^T + [b_1; ...; b_n] -> [N, sum of
 * out], split back into one output per Linear. Each may scale its result (alphas), which is
 * applied after the Split. Fused only when the parameters can be joined for free (training and
 * evaluation); otherwise one Gemm each.
 */
export function linearsOn(e: Emitter, x: Value, linears: Linear[], alphas: number[] = []): Value[] {
  const { g } = e;
  const scaled = (v: Value, i: number) => (alphas[i] && alphas[i] !== 1 ? g.op('Mul', [v, g.scalar(alphas[i], v)]) : v);
  const withBias = linears.every((l) => l.bias);
  if (!e.canJoin || linears.length < 2 || (!withBias && linears.some((l) => l.bias))) {
    return linears.map((l, i) => l.apply(e, x, alphas[i] ?? 1, alphas[i] ?? 1));
  }
  const w = e.joined(linears.map((l) => l.weight));
  const b = withBias ? e.joined(linears.map((l) => l.bias!)) : undefined;
  const y = g.op('Gemm', [e.toAct(x), w, ...(b ? [b] : [])], { transB: 1 });
  const sizes = linears.map((l) => l.outFeatures);
  return g.node('Split', [y, g.ints(sizes)], { axis: 1 }).map(scaled);
}

export class Embedding {
  readonly weight: string;

  constructor(s: Scope, count: number, dim: number) {
    // Read by rows only: the training state may shard it by rows (a table over a buffer limit).
    this.weight = s.param('weight', [count, dim], true, { rowsOnly: true });
  }

  /** Rows of the table, in float32 (the table stays float32 under mixed precision, and so its gradient). */
  lookup(e: Emitter, ids: Value): Value {
    return e.rows(this.weight, ids);
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
    // Training in float32: keep the Mean/InvStdDev outputs for the gradient. Evaluation needs no
    // statistics. float64 (gradient checks): ORT has no double-stash kernel and the default
    // float32 stash would mix types, so the gradient recomputes the statistics instead.
    // Mixed precision: in float32 between casts (a float16 inv-std overflows for eps 1e-12).
    const x32 = e.toFloat32(x);
    const outputs = e.train && x32.dtype !== 'float64' ? 3 : 1;
    const bias = this.bias ? e.param(this.bias) : undefined;
    const y = e.g.node(
      'LayerNormalization',
      [x32, e.param(this.weight), bias],
      { axis: -1, epsilon: float(this.eps) },
      { outputs },
    )[0];
    return e.toAct(y);
  }
}

/**
 * Exact GELU between two Linears, gelu(h) = h/2 * (1 + erf(h/sqrt2)). Training in float32: ONNX
 * Runtime's fused Gelu (com.microsoft), whose gradient needs only h, so the backward pass keeps two
 * [tokens, intermediate] tensors per layer (h and the GELU output) instead of three. Eval/export:
 * the textbook pattern, which ORT's optimizer fuses into the same kernel and other runtimes read.
 * float64 (gradient checks): with u = h/sqrt2 scaled inside the first Gemm, u * (1 + erf(u)) / sqrt2
 * (ORT's Erf and Gelu are float32-only, so erf is evaluated in float32).
 */
export function geluFeedForward(e: Emitter, x: Value, up: Linear, down: Linear): Value {
  const { g } = e;
  if (x.dtype === 'float32' || e.compute) {
    const h = up.apply(e, x);
    if (e.train) {
      // ORT's Gelu has no bfloat16 CUDA kernel: it runs in float32 between casts there.
      const hg = e.compute === 'bfloat16' ? e.toFloat32(h) : h;
      return down.apply(e, g.op('Gelu', [hg], {}, { domain: 'com.microsoft' }));
    }
    const erf = g.op('Erf', [g.op('Div', [h, g.scalar(Math.SQRT2, h)])]);
    return down.apply(e, g.op('Mul', [g.op('Mul', [h, g.op('Add', [erf, g.scalar(1, h)])]), g.scalar(0.5, h)]));
  }
  const u = up.apply(e, x, Math.SQRT1_2, Math.SQRT1_2);
  const erf = g.op('Cast', [g.op('Erf', [g.op('Cast', [u], { to: 1 })])], { to: 11 });
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
