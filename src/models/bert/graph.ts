// BertForSequenceClassification as an ONNX graph, with Hugging Face semantics (modeling_bert.py):
// exact erf GELU, LayerNorm eps from config, additive float32-min attention mask, pooler =
// tanh(dense([CLS])), dropout on embeddings / attention probs / sublayer outputs / pooled output,
// mean cross-entropy. For speed, hidden states stay 2-D [batch*seq, hidden] so every Linear is one
// Gemm(x, W, b, transB=1) on the HF [out, in] weight (no transposes of weights per step); only
// attention is 4-D.
import type { DType } from '../../onnx/dtype.js';
import { type Attr, float, type Graph, type Shape, type Value } from '../../onnx/graph.js';
import type { BatchInputSpec, ForwardOutputs, ParamSpec, TrainableModel } from '../../engine/contract.js';
import type { BertConfig } from './config.js';
import { bertParamSpecs } from './params.js';

/** Hugging Face adds torch.finfo(float32).min to the scores of padded keys. */
export const MASK_VALUE = -3.4028234663852886e38;

export interface BertModelOptions {
  /** Overrides both hidden and attention dropout (the `dropout` flag). */
  dropout?: number;
  /** float64 for gradient checks; float32 otherwise. */
  dtype?: DType;
  /** Seeds the Dropout nodes (each node gets seed + its index). */
  seed?: number;
}

export class BertModel implements TrainableModel {
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'token_type_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'labels', dtype: 'int64', shape: ['batch'] },
  ];
  readonly hiddenDropout: number;
  readonly attentionDropout: number;
  readonly dtype: DType;

  constructor(
    readonly config: BertConfig,
    readonly numLabels: number,
    private readonly opts: BertModelOptions = {},
  ) {
    this.params = bertParamSpecs(config, numLabels);
    this.hiddenDropout = opts.dropout ?? config.hiddenDropout;
    this.attentionDropout = opts.dropout ?? config.attentionDropout;
    this.dtype = opts.dtype ?? 'float32';
  }

  forward(
    g: Graph,
    params: Map<string, Value>,
    batch: Record<string, Value>,
    opts: { train: boolean },
  ): ForwardOutputs {
    return new BertBuilder(g, this, params, opts.train, this.opts.seed ?? 0).build(batch);
  }
}

/** One forward emission (keeps the per-build state: graph, params, dropout seed counter). */
class BertBuilder {
  private dropouts = 0;
  private readonly c: BertConfig;

  constructor(
    private readonly g: Graph,
    private readonly m: BertModel,
    private readonly p: Map<string, Value>,
    private readonly train: boolean,
    private readonly seed: number,
  ) {
    this.c = m.config;
  }

  private param(name: string): Value {
    const v = this.p.get(name);
    if (!v) throw new Error(`BERT forward: parameter '${name}' was not provided`);
    return v;
  }

  /** Gemm(x, W, b, transB=1) = alpha * x W^T + beta * b (alpha/beta fold constant scales in for free). */
  private linear(x: Value, name: string, alpha = 1, beta = 1): Value {
    const attrs: Record<string, Attr> = { transB: 1 };
    if (alpha !== 1) attrs.alpha = float(alpha);
    if (beta !== 1) attrs.beta = float(beta);
    return this.g.op('Gemm', [x, this.param(`${name}.weight`), this.param(`${name}.bias`)], attrs);
  }

  private layerNorm(x: Value, name: string): Value {
    // float32: keep the Mean/InvStdDev outputs for the gradient. float64 (gradient checks): ORT
    // has no double-stash kernel and the default float32 stash would mix types, so the gradient
    // recomputes the statistics instead.
    const outputs = x.dtype === 'float64' ? 1 : 3;
    return this.g.node(
      'LayerNormalization',
      [x, this.param(`${name}.weight`), this.param(`${name}.bias`)],
      { axis: -1, epsilon: float(this.c.layerNormEps) },
      { outputs },
    )[0];
  }

  private dropout(x: Value, ratio: number): Value {
    if (!this.train || ratio <= 0) return x;
    const { g } = this;
    const seed = this.seed + ++this.dropouts;
    return g.node('Dropout', [x, g.scalar(ratio, x), g.constant('bool', [1], [])], { seed })[0];
  }

  /**
   * The feed-forward block with exact GELU, gelu(h) = h/2 * (1 + erf(h/sqrt2)). With u = h/sqrt2
   * (scaled inside the first Gemm) it is u * (1 + erf(u)) / sqrt2, and the 1/sqrt2 goes into the
   * second Gemm's alpha: 3 elementwise ops instead of 5, forward and backward.
   */
  private feedForward(x: Value, p: string): Value {
    const { g } = this;
    if (!this.train && x.dtype === 'float32') {
      // Eval/export: the textbook pattern h * 0.5 * (1 + erf(h / sqrt2)), which ORT's optimizer
      // fuses into its Gelu kernel (training keeps the cheaper-to-differentiate form below).
      const h = this.linear(x, `${p}intermediate.dense`);
      const e = g.op('Erf', [g.op('Div', [h, g.scalar(Math.SQRT2, h)])]);
      const act = g.op('Mul', [g.op('Mul', [h, g.op('Add', [e, g.scalar(1, h)])]), g.scalar(0.5, h)]);
      return this.linear(act, `${p}output.dense`);
    }
    const u = this.linear(x, `${p}intermediate.dense`, Math.SQRT1_2, Math.SQRT1_2);
    let erf = g.op('Erf', [x.dtype === 'float64' ? g.op('Cast', [u], { to: 1 }) : u]);
    // ORT's CPU Erf is float32-only: a float64 graph (gradient checks) evaluates erf in float32.
    if (x.dtype === 'float64') erf = g.op('Cast', [erf], { to: 11 });
    const act = g.op('Mul', [u, g.op('Add', [erf, g.scalar(1, u)])]);
    return this.linear(act, `${p}output.dense`, Math.SQRT1_2);
  }

  build(batch: Record<string, Value>): ForwardOutputs {
    const { g, c } = this;
    const ids = batch.input_ids,
      mask = batch.attention_mask,
      types = batch.token_type_ids;
    if (!ids || !mask || !types)
      throw new Error('BERT forward: the batch needs input_ids, attention_mask and token_type_ids');
    const [B, T] = ids.shape;
    const H = c.hiddenSize,
      A = c.numHeads,
      D = H / A;

    // Embeddings: word + position + token type. Positions are rows 0..T-1 of the table, gathered
    // with Range (no position_ids input); a Slice with a run-time end would do the same forward,
    // but its gradient needs constant bounds.
    const idsShape = g.op('Shape', [ids]);
    const seqLen = g.op('Gather', [idsShape, g.constant('int64', [1], [])]);
    const positions = g.op('Range', [g.constant('int64', [0], []), seqLen, g.constant('int64', [1], [])]);
    const pos = assertShape(g.op('Gather', [this.param('bert.embeddings.position_embeddings.weight'), positions]), [
      T,
      H,
    ]);
    const word = g.op('Gather', [this.param('bert.embeddings.word_embeddings.weight'), ids]);
    const type = g.op('Gather', [this.param('bert.embeddings.token_type_embeddings.weight'), types]);
    const emb3 = g.op('Add', [g.op('Add', [word, pos]), type]);
    let x = g.op('Reshape', [emb3, g.ints([-1, H])]); // [N, H], N = batch*seq
    const N = x.shape[0];
    x = this.dropout(this.layerNorm(x, 'bert.embeddings.LayerNorm'), this.m.hiddenDropout);

    // Additive mask [B, 1, 1, T]: 0 for tokens, float32-min for padding.
    const maskF = g.op('Cast', [mask], { to: this.m.dtype === 'float64' ? 11 : 1 });
    const inverted = g.op('Sub', [g.scalar(1, maskF), maskF]);
    const ext = g.op('Unsqueeze', [g.op('Mul', [inverted, g.scalar(MASK_VALUE, maskF)]), g.ints([1, 2])]);

    const heads4 = g.op('Concat', [idsShape, g.ints([A, D])], { axis: 0 }); // [B, T, A, D]
    const toHeads = (v: Value, perm: number[]) =>
      g.op('Transpose', [assertShape(g.op('Reshape', [v, heads4]), [B, T, A, D])], { perm });
    const flat = g.ints([-1, H]);

    for (let i = 0; i < c.numLayers; i++) {
      const p = `bert.encoder.layer.${i}.`;
      // 1/sqrt(D) folded into the query Gemm: scale * (x Wq^T + bq).
      const q = toHeads(this.linear(x, `${p}attention.self.query`, 1 / Math.sqrt(D), 1 / Math.sqrt(D)), [0, 2, 1, 3]); // [B,A,T,D]
      const k = toHeads(this.linear(x, `${p}attention.self.key`), [0, 2, 3, 1]); // [B,A,D,T]
      const v = toHeads(this.linear(x, `${p}attention.self.value`), [0, 2, 1, 3]); // [B,A,T,D]
      const scores = g.op('Add', [g.op('MatMul', [q, k]), ext]);
      const probs = this.dropout(g.op('Softmax', [scores], { axis: -1 }), this.m.attentionDropout);
      const ctx4 = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }); // [B,T,A,D]
      const ctx = assertShape(g.op('Reshape', [ctx4, flat]), [N, H]);
      const attn = this.dropout(this.linear(ctx, `${p}attention.output.dense`), this.m.hiddenDropout);
      x = this.layerNorm(g.op('Add', [attn, x]), `${p}attention.output.LayerNorm`);
      const out = this.dropout(this.feedForward(x, p), this.m.hiddenDropout);
      x = this.layerNorm(g.op('Add', [out, x]), `${p}output.LayerNorm`);
    }

    // Pooler on [CLS] (position 0 of each sequence).
    const x3 = assertShape(g.op('Reshape', [x, g.op('Concat', [idsShape, g.ints([H])], { axis: 0 })]), [B, T, H]);
    const cls = assertShape(g.op('Reshape', [g.op('Slice', [x3, g.ints([0]), g.ints([1]), g.ints([1])]), flat]), [
      B,
      H,
    ]);
    const pooled = this.dropout(g.op('Tanh', [this.linear(cls, 'bert.pooler.dense')]), this.m.hiddenDropout);
    const logits = this.linear(pooled, 'classifier');
    const labels = batch.labels;
    if (!labels) return { logits };
    const loss = g.op('SoftmaxCrossEntropyLoss', [logits, labels], { reduction: 'mean' });
    return { loss, logits };
  }
}

/**
 * Records dims we know at build time but shape inference cannot derive (reshapes to run-time
 * shapes). Keeping the batch/seq symbols lets autodiff reduce broadcasts statically.
 */
function assertShape(v: Value, shape: Shape): Value {
  if (v.rank !== shape.length) throw new Error(`internal: '${v.name}' has rank ${v.rank}, expected [${shape}]`);
  (v.shape as Shape).splice(0, v.shape.length, ...shape);
  return v;
}
