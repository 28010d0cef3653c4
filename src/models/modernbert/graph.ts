// ModernBertForSequenceClassification's modules with Hugging Face's semantics
// (modeling_modernbert.py, eager attention on padded batches): token embeddings (padding_idx) ->
// norm; pre-norm layers (layer 0 has no attn_norm) with one Wqkv projection, rotary positions whose
// base depends on the layer type, full or sliding-window attention (|q - k| <= local_attention / 2),
// a GeGLU MLP (Wi -> input, gate; act(input) * gate -> Wo); final norm; pooling ([CLS] or the mask
// mean) -> head (dense -> act -> norm) -> dropout -> classifier. Norms and linears have no bias
// unless the config's *_bias flags say so.
import type { Value } from '../../onnx/graph.js';
import { intToFloat } from '../../onnx/op-helpers.js';
import { activation } from '../activations.js';
import { attend, firstToken, MASK_VALUE, toHeads, type HeadLayout } from '../attention.js';
import type {
  ClassifierHead,
  Dropouts,
  EncoderEmbeddings,
  EncoderInputs,
  EncoderLayer,
  LayerContext,
} from '../encoder.js';
import { assertShape, type Emitter, Linear } from '../layers.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import { absolutePositions } from '../bert/graph.js';
import type { Scope } from '../scope.js';
import type { LayerType, ModernBertConfig } from './config.js';
import { ModernBertNorm } from './norm.js';
import { applyRope, ropeTables, type RopeTables } from './rope.js';

/** The frame's context plus, by layer type, the rotary tables (queries pre-scaled) and the bias. */
export interface ModernBertContext extends LayerContext {
  rope: Record<LayerType, { q: RopeTables; k: RopeTables }>;
  biasOf: Record<LayerType, Value>;
}

const norm = (s: Scope, c: ModernBertConfig) => new ModernBertNorm(s, c.hiddenSize, c.normEps, c.normBias);

export class ModernBertEmbeddings implements EncoderEmbeddings {
  readonly tok: PaddingIdxEmbedding;
  readonly norm: ModernBertNorm;

  constructor(
    s: Scope,
    private readonly c: ModernBertConfig,
  ) {
    this.tok = new PaddingIdxEmbedding(s.child('tok_embeddings'), c.vocabSize, c.hiddenSize);
    this.norm = norm(s.child('norm'), c);
  }

  apply(e: Emitter, { ids }: EncoderInputs, rates: Dropouts): Value {
    const { g } = e;
    const emb = g.op('Reshape', [this.tok.lookupWithPad(e, ids, this.c.padTokenId), g.ints([-1, this.c.hiddenSize])]);
    return e.dropout(this.norm.apply(e, emb), rates.embeddings);
  }
}

/** Rotary tables and the full / sliding-window bias of each layer type present. */
export function modernBertContext(e: Emitter, base: LayerContext, c: ModernBertConfig): ModernBertContext {
  const { g } = e;
  const { L } = base;
  const positions = assertShape(absolutePositions(e, base.inputs.ids), [L.T]);
  const rope = {} as ModernBertContext['rope'];
  const biasOf = {} as ModernBertContext['biasOf'];
  for (const kind of new Set(c.layerTypes)) {
    const theta = c.ropeTheta[kind];
    rope[kind] = {
      q: ropeTables(e, positions, L.T, L.D, theta, 1 / Math.sqrt(L.D)),
      k: ropeTables(e, positions, L.T, L.D, theta),
    };
    if (kind === 'full_attention') {
      biasOf[kind] = base.bias;
      continue;
    }
    // masked_fill(|q - k| > window / 2, min) over the key-padding bias: [B, 1, T, T].
    const distance = g.op('Abs', [
      g.op('Sub', [g.op('Unsqueeze', [positions, g.ints([1])]), g.op('Unsqueeze', [positions, g.ints([0])])]),
    ]);
    const far = g.op('Greater', [distance, g.constant('int64', [Math.floor(c.localAttention / 2)], [])]);
    biasOf[kind] = g.op('Where', [far, g.scalar(MASK_VALUE, base.bias), base.bias]);
  }
  return { ...base, rope, biasOf };
}

export class ModernBertLayer implements EncoderLayer<ModernBertContext> {
  readonly attnNorm?: ModernBertNorm;
  readonly wqkv: Linear;
  readonly wo: Linear;
  readonly mlpNorm: ModernBertNorm;
  readonly wi: Linear;
  readonly mlpWo: Linear;

  constructor(
    s: Scope,
    private readonly c: ModernBertConfig,
    index: number,
    readonly kind: LayerType,
  ) {
    const H = c.hiddenSize,
      I = c.intermediateSize;
    if (index > 0) this.attnNorm = norm(s.child('attn_norm'), c); // nn.Identity on layer 0
    this.wqkv = new Linear(s.child('attn').child('Wqkv'), H, 3 * H, { bias: c.attentionBias });
    this.wo = new Linear(s.child('attn').child('Wo'), H, H, { bias: c.attentionBias });
    this.mlpNorm = norm(s.child('mlp_norm'), c);
    this.wi = new Linear(s.child('mlp').child('Wi'), H, 2 * I, { bias: c.mlpBias });
    this.mlpWo = new Linear(s.child('mlp').child('Wo'), I, H, { bias: c.mlpBias });
  }

  apply(e: Emitter, x: Value, ctx: ModernBertContext): Value {
    const { g } = e;
    const { L, rates } = ctx;
    const h = this.attnNorm ? this.attnNorm.apply(e, x) : x;
    const [q, k, v] = g.node('Split', [this.wqkv.apply(e, h), g.ints([L.H, L.H, L.H])], { axis: 1 });
    const rope = ctx.rope[this.kind];
    const q4 = applyRope(e, toHeads(e, q, L, [0, 2, 1, 3]), rope.q);
    const k4 = applyRope(e, toHeads(e, k, L, [0, 2, 1, 3]), rope.k);
    const kT = g.op('Transpose', [k4], { perm: [0, 1, 3, 2] });
    const att = attend(e, q4, kT, toHeads(e, v, L, [0, 2, 1, 3]), ctx.biasOf[this.kind], rates.attention, L);
    x = g.op('Add', [x, e.dropout(this.wo.apply(e, att), rates.attention)]);
    const I = this.c.intermediateSize;
    const [input, gate] = g.node('Split', [this.wi.apply(e, this.mlpNorm.apply(e, x)), g.ints([I, I])], { axis: 1 });
    const glu = g.op('Mul', [activation(e, this.c.hiddenActivation, input), gate]);
    return g.op('Add', [x, this.mlpWo.apply(e, e.dropout(glu, rates.hidden))]);
  }
}

/** final_norm (the base model's), pooling, head (dense -> act -> norm) -> dropout -> classifier. */
export class ModernBertHead implements ClassifierHead<ModernBertContext> {
  readonly finalNorm: ModernBertNorm;
  readonly dense: Linear;
  readonly norm: ModernBertNorm;
  readonly classifier: Linear;

  constructor(
    root: Scope,
    base: Scope,
    private readonly c: ModernBertConfig,
    numLabels: number,
  ) {
    const H = c.hiddenSize;
    this.finalNorm = norm(base.child('final_norm'), c);
    this.dense = new Linear(root.child('head').child('dense'), H, H, { bias: c.classifierBias });
    this.norm = norm(root.child('head').child('norm'), c);
    this.classifier = new Linear(root.child('classifier'), H, numLabels);
  }

  apply(e: Emitter, x: Value, { L, inputs, rates }: ModernBertContext): Value {
    const c = this.c;
    const y = this.finalNorm.apply(e, x);
    const pooled = c.classifierPooling === 'cls' ? firstToken(e, y, L) : meanPool(e, y, inputs.mask, L);
    const h = this.norm.apply(e, activation(e, c.classifierActivation, this.dense.apply(e, pooled)));
    return this.classifier.apply(e, e.dropout(h, rates.classifier));
  }
}

/** Mean of the token states where attention_mask is 1: [B, H]. */
function meanPool(e: Emitter, x: Value, mask: Value, L: HeadLayout): Value {
  const { g } = e;
  // Summed in float32 under mixed precision.
  const x3 = assertShape(g.op('Reshape', [e.toFloat32(x), g.op('Concat', [L.idsShape, g.ints([L.H])], { axis: 0 })]), [
    L.B,
    L.T,
    L.H,
  ]);
  const m = intToFloat(g, mask, e.dtype === 'float64' ? 'float64' : 'float32');
  const sum = g.op('ReduceSum', [g.op('Mul', [x3, g.op('Unsqueeze', [m, g.ints([2])])]), g.ints([1])], {
    keepdims: 0,
  });
  const count = g.op('ReduceSum', [m, g.ints([1])], { keepdims: 1 });
  return g.op('Div', [sum, count]);
}
