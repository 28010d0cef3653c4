// ModernBertForSequenceClassification as an ONNX graph, with Hugging Face's semantics
// (modeling_modernbert.py, eager attention on padded batches): token embeddings (padding_idx) ->
// norm; pre-norm layers (layer 0 has no attn_norm) with one Wqkv projection, rotary positions whose
// base depends on the layer type, full or sliding-window attention (|q - k| <= local_attention / 2),
// a GeGLU MLP (Wi -> input, gate; act(input) * gate -> Wo); final norm; pooling ([CLS] or the mask
// mean) -> head (dense -> act -> norm) -> dropout -> classifier. Norms and linears have no bias
// unless the config's *_bias flags say so.
import type { Batch } from '../../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../../engine/contract.js';
import type { MicroBatch } from '../../engine/feeds.js';
import type { DType } from '../../onnx/dtype.js';
import type { Graph, Value } from '../../onnx/graph.js';
import { intToFloat } from '../../onnx/op-helpers.js';
import { activation } from '../activations.js';
import { attend, firstToken, headLayout, keyPaddingBias, MASK_VALUE, toHeads, type HeadLayout } from '../attention.js';
import { initEncoderParam } from '../encoder-init.js';
import { encoderCheckpointConfig, encoderFeeds } from '../family-common.js';
import type { ModelOptions, SequenceClassifier } from '../family.js';
import { assertShape, Emitter, Linear } from '../layers.js';
import { classificationLoss } from '../loss.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import { ParamRegistry, type Scope } from '../scope.js';
import type { LayerType, ModernBertConfig } from './config.js';
import { modernbertKeys } from './keys.js';
import { ModernBertNorm } from './norm.js';
import { applyRope, ropeTables, type RopeTables } from './rope.js';

class ModernBertLayer {
  readonly attnNorm?: ModernBertNorm;
  readonly wqkv: Linear;
  readonly wo: Linear;
  readonly mlpNorm: ModernBertNorm;
  readonly wi: Linear;
  readonly mlpWo: Linear;

  constructor(
    s: Scope,
    c: ModernBertConfig,
    readonly index: number,
    readonly kind: LayerType,
  ) {
    const H = c.hiddenSize,
      I = c.intermediateSize;
    const norm = (name: string) => new ModernBertNorm(s.child(name), H, c.normEps, c.normBias);
    if (index > 0) this.attnNorm = norm('attn_norm'); // nn.Identity on layer 0
    this.wqkv = new Linear(s.child('attn').child('Wqkv'), H, 3 * H, { bias: c.attentionBias });
    this.wo = new Linear(s.child('attn').child('Wo'), H, H, { bias: c.attentionBias });
    this.mlpNorm = norm('mlp_norm');
    this.wi = new Linear(s.child('mlp').child('Wi'), H, 2 * I, { bias: c.mlpBias });
    this.mlpWo = new Linear(s.child('mlp').child('Wo'), I, H, { bias: c.mlpBias });
  }
}

/** Per-forward values the layers share, by layer type: rotary tables (queries pre-scaled) and the bias. */
interface LayerInputs {
  rope: Record<LayerType, { q: RopeTables; k: RopeTables }>;
  bias: Record<LayerType, Value>;
}

export class ModernBertModel implements SequenceClassifier {
  readonly architecture = 'ModernBertForSequenceClassification';
  readonly keys = modernbertKeys;
  readonly params: ParamSpec[];
  readonly batchInputs: BatchInputSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    { name: 'labels', dtype: 'int64', shape: ['batch'] },
  ];
  readonly dtype: DType;
  private readonly rates: { emb: number; attn: number; mlp: number; cls: number };
  private readonly tok: PaddingIdxEmbedding;
  private readonly embNorm: ModernBertNorm;
  private readonly layers: ModernBertLayer[];
  private readonly finalNorm: ModernBertNorm;
  private readonly headDense: Linear;
  private readonly headNorm: ModernBertNorm;
  private readonly classifier: Linear;

  constructor(
    readonly config: ModernBertConfig,
    readonly numLabels: number,
    private readonly opts: ModelOptions = {},
  ) {
    const d = opts.dropout;
    this.rates = {
      emb: d ?? config.embeddingDropout,
      attn: d ?? config.attentionDropout,
      mlp: d ?? config.mlpDropout,
      cls: d ?? config.classifierDropout,
    };
    this.dtype = opts.dtype ?? 'float32';
    const H = config.hiddenSize;
    const registry = new ParamRegistry();
    const root = registry.root();
    const model = root.child('model');
    const norm = (s: Scope) => new ModernBertNorm(s, H, config.normEps, config.normBias);
    this.tok = new PaddingIdxEmbedding(model.child('embeddings').child('tok_embeddings'), config.vocabSize, H);
    this.embNorm = norm(model.child('embeddings').child('norm'));
    this.layers = config.layerTypes.map(
      (kind, i) => new ModernBertLayer(model.child('layers').child(i), config, i, kind),
    );
    this.finalNorm = norm(model.child('final_norm'));
    this.headDense = new Linear(root.child('head').child('dense'), H, H, { bias: config.classifierBias });
    this.headNorm = norm(root.child('head').child('norm'));
    this.classifier = new Linear(root.child('classifier'), H, numLabels);
    this.params = registry.specs;
  }

  feeds(b: Batch, withLabels: boolean): MicroBatch {
    return encoderFeeds(b, withLabels, {
      model: this.architecture,
      maxPositions: this.config.maxPositions,
      vocabSize: this.config.vocabSize,
    });
  }

  /** ModernBERT's own init: truncated normal at +-cutoff*std; std by role (in, out, final). */
  initParam(spec: ParamSpec, seed: number): Float32Array {
    const c = this.config;
    const std =
      spec.name === 'classifier.weight'
        ? c.hiddenSize ** -0.5
        : /\.Wo\.|^head\.dense\./.test(spec.name)
          ? c.initializerRange / Math.sqrt(2 * c.numLayers)
          : c.initializerRange;
    return initEncoderParam(spec, seed, { std, cutoff: c.initializerCutoffFactor });
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    return encoderCheckpointConfig(this.config, this.architecture, labels);
  }

  tokenizerConfig(o: { maxLength?: number }): Record<string, unknown> {
    return {
      tokenizer_class: 'PreTrainedTokenizerFast',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      model_input_names: ['input_ids', 'attention_mask'],
      model_max_length: o.maxLength ?? this.config.maxPositions,
    };
  }

  forward(g: Graph, params: Map<string, Value>, batch: Record<string, Value>, opts: ForwardOptions): ForwardOutputs {
    const e = new Emitter(
      g,
      params,
      opts.train,
      this.dtype,
      this.opts.seed ?? 0,
      this.architecture,
      opts.compute,
      opts.draw,
    );
    const { input_ids: ids, attention_mask: mask } = batch;
    if (!ids || !mask) throw new Error(`${this.architecture} forward: the batch needs input_ids and attention_mask`);
    const c = this.config;
    const isPad = g.op('Equal', [ids, g.constant('int64', [c.padTokenId], [])]);
    const emb = g.op('Reshape', [this.tok.lookupPadded(e, ids, isPad), g.ints([-1, c.hiddenSize])]);
    let x = e.dropout(this.embNorm.apply(e, emb), this.rates.emb);
    const L = headLayout(g, ids, c.numHeads, c.hiddenSize, x.shape[0]);
    const inputs = this.layerInputs(e, ids, mask, L);
    for (const layer of this.layers) x = this.layer(e, layer, x, inputs, L);
    x = this.finalNorm.apply(e, x);
    const pooled = c.classifierPooling === 'cls' ? firstToken(e, x, L) : this.meanPool(e, x, mask, L);
    const h = this.headNorm.apply(e, activation(e, c.classifierActivation, this.headDense.apply(e, pooled)));
    const logits = e.toFloat32(this.classifier.apply(e, e.dropout(h, this.rates.cls)));
    if (!batch.labels) return { logits };
    return { loss: classificationLoss(g, logits, batch.labels), logits };
  }

  private layerInputs(e: Emitter, ids: Value, mask: Value, L: HeadLayout): LayerInputs {
    const { g } = e;
    const c = this.config;
    const seqLen = g.op('Gather', [L.idsShape, g.constant('int64', [1], [])]);
    const positions = assertShape(g.op('Range', [g.constant('int64', [0], []), seqLen, g.constant('int64', [1], [])]), [
      L.T,
    ]);
    const full = keyPaddingBias(e, mask, this.dtype); // [B, 1, 1, T]
    const kinds = [...new Set(c.layerTypes)];
    const rope = {} as LayerInputs['rope'];
    const bias = {} as LayerInputs['bias'];
    for (const kind of kinds) {
      const theta = c.ropeTheta[kind];
      rope[kind] = {
        q: ropeTables(e, positions, L.T, L.D, theta, 1 / Math.sqrt(L.D)),
        k: ropeTables(e, positions, L.T, L.D, theta),
      };
      if (kind === 'full_attention') {
        bias[kind] = full;
        continue;
      }
      // masked_fill(|q - k| > window / 2, min) over the key-padding bias: [B, 1, T, T].
      const distance = g.op('Abs', [
        g.op('Sub', [g.op('Unsqueeze', [positions, g.ints([1])]), g.op('Unsqueeze', [positions, g.ints([0])])]),
      ]);
      const far = g.op('Greater', [distance, g.constant('int64', [Math.floor(c.localAttention / 2)], [])]);
      bias[kind] = g.op('Where', [far, g.scalar(MASK_VALUE, full), full]);
    }
    return { rope, bias };
  }

  private layer(e: Emitter, l: ModernBertLayer, x: Value, inputs: LayerInputs, L: HeadLayout): Value {
    const { g } = e;
    const h = l.attnNorm ? l.attnNorm.apply(e, x) : x;
    const [q, k, v] = g.node('Split', [l.wqkv.apply(e, h), g.ints([L.H, L.H, L.H])], { axis: 1 });
    const rope = inputs.rope[l.kind];
    const q4 = applyRope(e, toHeads(e, q, L, [0, 2, 1, 3]), rope.q);
    const k4 = applyRope(e, toHeads(e, k, L, [0, 2, 1, 3]), rope.k);
    const kT = g.op('Transpose', [k4], { perm: [0, 1, 3, 2] });
    const ctx = attend(e, q4, kT, toHeads(e, v, L, [0, 2, 1, 3]), inputs.bias[l.kind], this.rates.attn, L);
    x = g.op('Add', [x, e.dropout(l.wo.apply(e, ctx), this.rates.attn)]);
    const I = this.config.intermediateSize;
    const [input, gate] = g.node('Split', [l.wi.apply(e, l.mlpNorm.apply(e, x)), g.ints([I, I])], { axis: 1 });
    const glu = g.op('Mul', [activation(e, this.config.hiddenActivation, input), gate]);
    return g.op('Add', [x, l.mlpWo.apply(e, e.dropout(glu, this.rates.mlp))]);
  }

  /** Mean of the token states where attention_mask is 1: [B, H]. */
  private meanPool(e: Emitter, x: Value, mask: Value, L: HeadLayout): Value {
    const { g } = e;
    // Summed in float32 under mixed precision.
    const x3 = assertShape(
      g.op('Reshape', [e.toFloat32(x), g.op('Concat', [L.idsShape, g.ints([L.H])], { axis: 0 })]),
      [L.B, L.T, L.H],
    );
    const m = intToFloat(g, mask, this.dtype === 'float64' ? 'float64' : 'float32');
    const sum = g.op('ReduceSum', [g.op('Mul', [x3, g.op('Unsqueeze', [m, g.ints([2])])]), g.ints([1])], {
      keepdims: 0,
    });
    const count = g.op('ReduceSum', [m, g.ints([1])], { keepdims: 1 });
    return g.op('Div', [sum, count]);
  }
}
