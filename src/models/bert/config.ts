// config.json of a BERT model, validated: the numbers our graph needs, with errors that name the
// file and the key. Unknown keys are kept (`raw`) so a saved checkpoint round-trips them.
import { ModelError } from '../errors.js';
import type { ModelConfig } from '../family.js';
import { labelConfig, labelMapFromLabels } from '../../data/labels.js';
import { readJsonFile } from '../../util/json-file.js';

export interface BertConfig extends ModelConfig {
  modelType: 'bert';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
}

export function readBertConfig(path: string): BertConfig {
  return parseBertConfig(
    readJsonFile(path, (m) => new ModelError(path, m)),
    path,
  );
}

export function parseBertConfig(json: unknown, file = 'config.json'): BertConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new ModelError(file, `${file}: expected a JSON object`);
  const c = json as Record<string, unknown>;
  const bad = (key: string, want: string) =>
    new ModelError(file, `${file}: "${key}" is ${JSON.stringify(c[key])}; expected ${want}`);
  const int = (key: string, dflt?: number, min = 1): number => {
    const v = c[key] ?? dflt;
    if (v === undefined) throw new ModelError(file, `${file}: "${key}" is missing (a BERT config needs it)`);
    if (!Number.isSafeInteger(v) || (v as number) < min) throw bad(key, `an integer >= ${min}`);
    return v as number;
  };
  const num = (key: string, dflt: number, lo: number, hi: number, open = false): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo))
      throw bad(key, `a number in ${open ? '(' : '['}${lo}, ${hi}]`);
    return v;
  };
  if (c.model_type !== undefined && c.model_type !== 'bert') {
    throw new ModelError(
      file,
      `${file}: model_type is ${JSON.stringify(c.model_type)}; only "bert" (BertForSequenceClassification) is supported. Use a BERT checkpoint such as bert-base-uncased.`,
    );
  }
  const act = c.hidden_act ?? 'gelu';
  if (act !== 'gelu') {
    throw new ModelError(
      file,
      `${file}: hidden_act is ${JSON.stringify(act)}; only "gelu" (exact erf GELU, as in bert-base-*) is supported. Use a checkpoint trained with hidden_act "gelu".`,
    );
  }
  const pet = c.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute')
    throw bad('position_embedding_type', '"absolute" (relative position embeddings are not supported)');
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  if (hiddenSize % numHeads !== 0) {
    throw new ModelError(
      file,
      `${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`,
    );
  }
  const cfg: BertConfig = {
    modelType: 'bert',
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    intermediateSize: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12, 0, 1, true),
    hiddenDropout: num('hidden_dropout_prob', 0.1, 0, 0.95),
    attentionDropout: num('attention_probs_dropout_prob', 0.1, 0, 0.95),
    initializerRange: num('initializer_range', 0.02, 0, 10, true),
    padTokenId: int('pad_token_id', 0, 0),
    raw: c,
  };
  if (c.id2label !== undefined) {
    if (!c.id2label || typeof c.id2label !== 'object' || Object.values(c.id2label).some((v) => typeof v !== 'string'))
      throw bad('id2label', 'an object mapping ids to label names');
    cfg.id2label = c.id2label as Record<string, string>;
  }
  if (c.label2id !== undefined) {
    if (!c.label2id || typeof c.label2id !== 'object' || Object.values(c.label2id).some((v) => !Number.isInteger(v)))
      throw bad('label2id', 'an object mapping label names to ids');
    cfg.label2id = c.label2id as Record<string, number>;
  }
  return cfg;
}

/** config.json for a checkpoint: the original keys, plus what @huggingface/transformers needs. */
export function checkpointConfigJson(cfg: BertConfig, labels: string[]): Record<string, unknown> {
  return {
    ...cfg.raw,
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    intermediate_size: cfg.intermediateSize,
    vocab_size: cfg.vocabSize,
    max_position_embeddings: cfg.maxPositions,
    type_vocab_size: cfg.typeVocabSize,
    layer_norm_eps: cfg.layerNormEps,
    hidden_dropout_prob: cfg.hiddenDropout,
    attention_probs_dropout_prob: cfg.attentionDropout,
    initializer_range: cfg.initializerRange,
    hidden_act: 'gelu',
    num_labels: labels.length,
    ...labelConfig(labelMapFromLabels(labels)),
    problem_type: 'single_label_classification',
  };
}
