// config.json of a ModernBERT model, read with ModernBertConfig's defaults. Both generations of the
// layout keys are understood: transformers 4.x (global_attn_every_n_layers, global_rope_theta,
// local_rope_theta) and 5.x (layer_types, rope_parameters per layer type); where both are present
// the 5.x ones decide, as in transformers 5.
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { ConfigReader } from '../config-reader.js';
import type { EncoderConfig } from '../encoder.js';

export type LayerType = 'full_attention' | 'sliding_attention';
const LAYER_TYPES: readonly LayerType[] = ['full_attention', 'sliding_attention'];

export interface ModernBertConfig extends EncoderConfig {
  modelType: 'modernbert';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  hiddenActivation: ActivationName;
  normEps: number;
  normBias: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  classifierBias: boolean;
  /** One per layer. */
  layerTypes: LayerType[];
  /** RoPE base per layer type. */
  ropeTheta: Record<LayerType, number>;
  /** Sliding layers attend to keys with |q - k| <= localAttention / 2 (integer division). */
  localAttention: number;
  initializerCutoffFactor: number;
  embeddingDropout: number;
  attentionDropout: number;
  mlpDropout: number;
  classifierDropout: number;
  classifierPooling: 'cls' | 'mean';
  classifierActivation: ActivationName;
}

export function parseModernBertConfig(json: unknown, file = 'config.json'): ModernBertConfig {
  const r = new ConfigReader(json, file, 'ModernBERT');
  const c = r.c;
  if (c.model_type !== 'modernbert')
    throw r.error(`model_type is ${JSON.stringify(c.model_type)}; this reader takes "modernbert"`);
  const { hidden, heads } = r.heads('hidden_size', 'num_attention_heads', { hidden: 768, heads: 12 });
  if ((hidden / heads) % 2 !== 0)
    throw r.error(
      `the head size hidden_size / num_attention_heads = ${hidden / heads} must be even for rotary positions`,
    );
  const numLayers = r.int('num_hidden_layers', 22);
  const vocabSize = r.int('vocab_size', 50368);
  let layerTypes: LayerType[];
  if (c.layer_types !== undefined && c.layer_types !== null) {
    const lt = c.layer_types;
    if (!Array.isArray(lt) || lt.length !== numLayers || lt.some((t) => !LAYER_TYPES.includes(t as LayerType)))
      throw r.error(
        `"layer_types" must list ${numLayers} entries (num_hidden_layers), each "full_attention" or "sliding_attention"; got ${JSON.stringify(lt)}`,
      );
    layerTypes = lt as LayerType[];
  } else {
    const every = r.int('global_attn_every_n_layers', 3);
    layerTypes = Array.from({ length: numLayers }, (_, i) => (i % every ? 'sliding_attention' : 'full_attention'));
  }
  const globalTheta = r.num('global_rope_theta', 160000, 0, Number.MAX_VALUE, true);
  // transformers 4.x: a null local_rope_theta means the global one.
  const localTheta =
    c.local_rope_theta === null ? globalTheta : r.num('local_rope_theta', 10000, 0, Number.MAX_VALUE, true);
  const ropeTheta: Record<LayerType, number> = { full_attention: globalTheta, sliding_attention: localTheta };
  const rp = c.rope_parameters;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp))
      throw r.error(`"rope_parameters" must be an object keyed by layer type; got ${JSON.stringify(rp)}`);
    for (const [kind, p] of Object.entries(rp as Record<string, unknown>)) {
      if (!LAYER_TYPES.includes(kind as LayerType)) continue;
      const params = (p ?? {}) as Record<string, unknown>;
      const type = params.rope_type ?? 'default';
      if (type !== 'default')
        throw r.error(
          `rope_parameters.${kind}.rope_type is ${JSON.stringify(type)}; only "default" RoPE is supported (no scaling)`,
        );
      if (params.rope_theta !== undefined) {
        const t = params.rope_theta;
        if (typeof t !== 'number' || !(t > 0))
          throw r.error(`rope_parameters.${kind}.rope_theta is ${JSON.stringify(t)}; expected a positive number`);
        ropeTheta[kind as LayerType] = t;
      }
    }
  }
  const maxPositions = r.int('max_position_embeddings', 8192);
  return {
    modelType: 'modernbert',
    hiddenSize: hidden,
    numHeads: heads,
    numLayers,
    intermediateSize: r.int('intermediate_size', 1152),
    hiddenActivation: r.oneOf('hidden_activation', 'gelu', ACTIVATIONS),
    vocabSize,
    maxPositions,
    normEps: r.num('norm_eps', 1e-5, 0, 1, true),
    normBias: r.bool('norm_bias', false),
    attentionBias: r.bool('attention_bias', false),
    mlpBias: r.bool('mlp_bias', false),
    classifierBias: r.bool('classifier_bias', false),
    layerTypes,
    ropeTheta,
    localAttention: r.int('local_attention', 128, 0),
    initializerRange: r.num('initializer_range', 0.02, 0, 10, true),
    initializerCutoffFactor: r.num('initializer_cutoff_factor', 2, 0, 100, true),
    embeddingDropout: r.num('embedding_dropout', 0, 0, 0.95),
    attentionDropout: r.num('attention_dropout', 0, 0, 0.95),
    mlpDropout: r.num('mlp_dropout', 0, 0, 0.95),
    classifierDropout: r.num('classifier_dropout', 0, 0, 0.95),
    classifierPooling: r.oneOf('classifier_pooling', 'cls', ['cls', 'mean'] as const),
    classifierActivation: r.oneOf('classifier_activation', 'gelu', ACTIVATIONS),
    padTokenId: r.tokenId('pad_token_id', 50283, vocabSize),
    raw: c,
    ...r.labels(),
  };
}
