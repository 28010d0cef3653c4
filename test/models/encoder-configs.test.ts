// config.json of RoBERTa / XLM-R, DistilBERT and ModernBERT: Hugging Face's defaults, both ModernBERT
// config generations, the registry by model_type, HF parameter names and no-decay rules, checkpoint
// configs that read back, seeded init (padding_idx rows zero, ModernBERT's truncated normal), and the
// errors users can hit (each names the file, the key and the fix).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../../src/data/types.js';
import { parseDistilBertConfig } from '../../src/models/distilbert/config.js';
import { distilbertFamily } from '../../src/models/distilbert/index.js';
import { ModelError } from '../../src/models/errors.js';
import { parseModernBertConfig } from '../../src/models/modernbert/config.js';
import { modernbertFamily } from '../../src/models/modernbert/index.js';
import { familyFor, readModelConfig, supportedModelTypes } from '../../src/models/registry.js';
import { parseRobertaConfig } from '../../src/models/roberta/config.js';
import { robertaFamily } from '../../src/models/roberta/index.js';
import { initWeights } from '../../src/models/weights.js';

const roberta = {
  model_type: 'roberta',
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  vocab_size: 50,
};
const distil = { model_type: 'distilbert', dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 32, vocab_size: 50 };
const modern = {
  model_type: 'modernbert',
  hidden_size: 16,
  num_hidden_layers: 4,
  num_attention_heads: 2,
  intermediate_size: 24,
  vocab_size: 60,
  pad_token_id: 0,
};

describe('registry', () => {
  test('model_type picks the family; the error for another type lists every supported one', () => {
    // The registry may grow; these are the types it must keep.
    expect(supportedModelTypes()).toEqual(
      expect.arrayContaining(['bert', 'roberta', 'xlm-roberta', 'distilbert', 'modernbert']),
    );
    expect(familyFor(roberta, 'c').architecture).toBe('RobertaForSequenceClassification');
    expect(familyFor({ ...roberta, model_type: 'xlm-roberta' }, 'c').modelTypes).toContain('xlm-roberta');
    expect(familyFor(distil, 'c').architecture).toBe('DistilBertForSequenceClassification');
    expect(familyFor(modern, 'c').architecture).toBe('ModernBertForSequenceClassification');
    expect(() => familyFor({ model_type: 'deberta-v2' }, 'm/config.json')).toThrow(
      /m\/config\.json: model_type is "deberta-v2"; supported: bert, roberta, xlm-roberta, distilbert, modernbert/,
    );
  });
});

describe('RoBERTa / XLM-R config', () => {
  test('HF defaults; positions after pad_token_id; XLM-R names its own classes', () => {
    expect(parseRobertaConfig({ model_type: 'roberta' })).toMatchObject({
      hiddenSize: 768,
      numHeads: 12,
      numLayers: 12,
      intermediateSize: 3072,
      vocabSize: 50265,
    });
    const c = parseRobertaConfig(roberta);
    expect(c).toMatchObject({
      padTokenId: 1,
      positionRows: 512,
      maxPositions: 510,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
      hiddenDropout: 0.1,
      classifierDropout: 0.1,
    });
    expect(parseRobertaConfig({ ...roberta, max_position_embeddings: 514, classifier_dropout: 0.3 })).toMatchObject({
      maxPositions: 512,
      classifierDropout: 0.3,
    });
    const x = robertaFamily.create(
      parseRobertaConfig({ ...roberta, model_type: 'xlm-roberta', type_vocab_size: 1 }),
      2,
    );
    expect(x.architecture).toBe('XLMRobertaForSequenceClassification');
    expect(x.tokenizerConfig({}).tokenizer_class).toBe('XLMRobertaTokenizer');
    expect(x.batchInputs.map((b) => b.name)).toEqual(['input_ids', 'attention_mask', 'labels']); // one token type: no input
    expect(robertaFamily.create(parseRobertaConfig(roberta), 2).batchInputs.map((b) => b.name)).toContain(
      'token_type_ids',
    );
  });

  test('errors name the file, the key and the fix', () => {
    const p = (o: object) => () => parseRobertaConfig({ ...roberta, ...o }, 'r/config.json');
    expect(p({ position_embedding_type: 'relative_key' })).toThrow(
      /r\/config\.json: position_embedding_type is "relative_key"; only "absolute"/,
    );
    expect(p({ hidden_act: 'mish' })).toThrow(/"hidden_act" is "mish"; expected one of "gelu", "relu"/);
    expect(p({ pad_token_id: 50 })).toThrow(/"pad_token_id" is 50, outside the vocabulary \(vocab_size 50\)/);
    expect(p({ max_position_embeddings: 2 })).toThrow(
      /max_position_embeddings 2 leaves no position after pad_token_id 1/,
    );
    expect(p({ num_attention_heads: 3 })).toThrow(/hidden_size 16 is not a multiple of num_attention_heads 3/);
    expect(p({ hidden_size: 0 })).toThrow(/"hidden_size" is 0; expected an integer >= 1/);
    expect(p({ model_type: 'bert' })).toThrow(ModelError);
  });

  test('parameters: HF names; no decay on biases and LayerNorm; padding_idx rows of words and positions start at 0', () => {
    const m = robertaFamily.create(
      parseRobertaConfig({ ...roberta, type_vocab_size: 1, pad_token_id: 1, max_position_embeddings: 10 }),
      3,
    );
    const names = m.params.map((p) => p.name);
    expect(names.slice(0, 5)).toEqual([
      'roberta.embeddings.word_embeddings.weight',
      'roberta.embeddings.position_embeddings.weight',
      'roberta.embeddings.token_type_embeddings.weight',
      'roberta.embeddings.LayerNorm.weight',
      'roberta.embeddings.LayerNorm.bias',
    ]);
    expect(names.slice(-4)).toEqual([
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ]);
    expect(m.params.filter((p) => !p.decay).every((p) => /bias$|LayerNorm\.weight$/.test(p.name))).toBe(true);
    const w = initWeights(m, 7);
    const word = w.get('roberta.embeddings.word_embeddings.weight')!;
    const pos = w.get('roberta.embeddings.position_embeddings.weight')!;
    expect(Array.from(word.subarray(16, 32))).toEqual(new Array(16).fill(0)); // row 1 = <pad>
    expect(Array.from(pos.subarray(16, 32))).toEqual(new Array(16).fill(0));
    expect(word.subarray(32, 48).some((v) => v !== 0)).toBe(true);
    const std = Math.sqrt(word.reduce((a, v) => a + v * v, 0) / (word.length - 16));
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    expect(initWeights(m, 7).get('classifier.out_proj.weight')).toEqual(w.get('classifier.out_proj.weight')); // seeded
  });
});

describe('DistilBERT config', () => {
  test('HF defaults; sinusoidal positions refused; head pre_classifier + classifier', () => {
    const c = parseDistilBertConfig({ model_type: 'distilbert' });
    // DistilBERT's keys read onto BERT's fields (dim, hidden_dim, dropout, seq_classif_dropout, activation).
    expect(c).toMatchObject({
      hiddenSize: 768,
      numLayers: 6,
      numHeads: 12,
      intermediateSize: 3072,
      vocabSize: 30522,
      maxPositions: 512,
      hiddenDropout: 0.1,
      attentionDropout: 0.1,
      classifierDropout: 0.2,
      padTokenId: 0,
      hiddenAct: 'gelu',
      typeVocabSize: 0,
      layerNormEps: 1e-12,
    });
    expect(() => parseDistilBertConfig({ ...distil, sinusoidal_pos_embds: true }, 'd/config.json')).toThrow(
      /d\/config\.json: sinusoidal_pos_embds is true: fixed sinusoidal position tables are not supported/,
    );
    const m = distilbertFamily.create(parseDistilBertConfig(distil), 2);
    expect(m.params.filter((p) => !p.decay && !p.name.endsWith('.bias')).map((p) => p.name)).toEqual([
      'distilbert.embeddings.LayerNorm.weight',
      'distilbert.transformer.layer.0.sa_layer_norm.weight',
      'distilbert.transformer.layer.0.output_layer_norm.weight',
      'distilbert.transformer.layer.1.sa_layer_norm.weight',
      'distilbert.transformer.layer.1.output_layer_norm.weight',
    ]);
    expect(m.keys.head).toEqual(['pre_classifier.', 'classifier.']);
    expect(m.keys.canonical('transformer.layer.0.ffn.lin1.weight')).toBe(
      'distilbert.transformer.layer.0.ffn.lin1.weight',
    );
  });
});

describe('ModernBERT config', () => {
  const v4 = {
    ...modern,
    global_attn_every_n_layers: 3,
    global_rope_theta: 160000,
    local_rope_theta: 10000,
    local_attention: 64,
  };
  const v5 = {
    ...modern,
    local_attention: 64,
    layer_types: ['full_attention', 'sliding_attention', 'sliding_attention', 'full_attention'],
    rope_parameters: {
      full_attention: { rope_type: 'default', rope_theta: 160000 },
      sliding_attention: { rope_type: 'default', rope_theta: 10000 },
    },
  };

  test('4.x fields and 5.x fields give the same layout; 5.x wins when both are present', () => {
    const a = parseModernBertConfig(v4),
      b = parseModernBertConfig(v5);
    expect(a.layerTypes).toEqual(['full_attention', 'sliding_attention', 'sliding_attention', 'full_attention']);
    expect(b.layerTypes).toEqual(a.layerTypes);
    expect(b.ropeTheta).toEqual(a.ropeTheta);
    expect(a.ropeTheta).toEqual({ full_attention: 160000, sliding_attention: 10000 });
    const both = parseModernBertConfig({
      ...v4,
      ...v5,
      layer_types: ['sliding_attention', 'full_attention', 'full_attention', 'full_attention'],
      rope_parameters: { sliding_attention: { rope_theta: 5000 } },
    });
    expect(both.layerTypes[0]).toBe('sliding_attention');
    expect(both.ropeTheta).toEqual({ full_attention: 160000, sliding_attention: 5000 });
  });

  test('HF defaults; a null local_rope_theta falls back to the global one', () => {
    const c = parseModernBertConfig({ model_type: 'modernbert' });
    expect(c).toMatchObject({
      hiddenSize: 768,
      numLayers: 22,
      intermediateSize: 1152,
      vocabSize: 50368,
      padTokenId: 50283,
      maxPositions: 8192,
      normEps: 1e-5,
      normBias: false,
      localAttention: 128,
      classifierPooling: 'cls',
      classifierActivation: 'gelu',
      initializerCutoffFactor: 2,
    });
    expect(c.layerTypes.filter((t) => t === 'full_attention')).toHaveLength(8); // every 3rd of 22
    expect(parseModernBertConfig({ ...v4, local_rope_theta: null }).ropeTheta.sliding_attention).toBe(160000);
  });

  test('errors name the key and the fix', () => {
    const p = (o: object) => () => parseModernBertConfig({ ...v5, ...o }, 'mb/config.json');
    expect(p({ layer_types: ['full_attention'] })).toThrow(
      /mb\/config\.json: "layer_types" must list 4 entries \(num_hidden_layers\)/,
    );
    expect(p({ rope_parameters: { full_attention: { rope_type: 'yarn', factor: 4 } } })).toThrow(
      /rope_parameters\.full_attention\.rope_type is "yarn"; only "default" RoPE/,
    );
    expect(p({ classifier_pooling: 'max' })).toThrow(/"classifier_pooling" is "max"; expected one of "cls", "mean"/);
    expect(p({ num_attention_heads: 16 })).toThrow(/head size .* = 1 must be even/);
  });

  test('parameters: layer 0 has no attn_norm; no biases by default; init is the truncated normal by role', () => {
    const m = modernbertFamily.create(parseModernBertConfig(v5), 2);
    const names = m.params.map((p) => p.name);
    expect(names).not.toContain('model.layers.0.attn_norm.weight');
    expect(names).toContain('model.layers.1.attn_norm.weight');
    expect(names.filter((n) => n.endsWith('.bias'))).toEqual(['classifier.bias']);
    expect(m.keys.canonical('layers.0.attn.Wqkv.weight')).toBe('model.layers.0.attn.Wqkv.weight');
    const w = initWeights(m, 3);
    const wqkv = w.get('model.layers.0.attn.Wqkv.weight')!;
    expect(Math.max(...wqkv.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7); // cutoff 2 * 0.02
    const wo = w.get('model.layers.0.attn.Wo.weight')!;
    expect(Math.max(...wo.map(Math.abs))).toBeLessThanOrEqual((2 * 0.02) / Math.sqrt(8) + 1e-7);
    const cls = w.get('classifier.weight')!;
    expect(Math.max(...cls.map(Math.abs))).toBeGreaterThan(0.1); // std hidden^-0.5 = 0.25
    expect(
      w
        .get('model.embeddings.tok_embeddings.weight')!
        .subarray(0, 16)
        .some((v) => v !== 0),
    ).toBe(true); // pad row not zeroed
  });
});

describe('checkpoints and feeds', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'enc-cfg-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([roberta, distil, modern])(
    '$model_type: checkpoint config.json reads back to the same model with the labels',
    (json) => {
      const f = familyFor(json, 'c');
      const model = f.create(f.parseConfig(json, 'c'), 3);
      const out = model.checkpointConfig(['a', 'b', 'c']);
      expect(out).toMatchObject({
        model_type: json.model_type,
        architectures: [model.architecture],
        num_labels: 3,
        id2label: { 0: 'a', 1: 'b', 2: 'c' },
        label2id: { a: 0, b: 1, c: 2 },
      });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(out));
      const back = readModelConfig(join(dir, 'config.json'));
      const again = back.family.create(back.config, 3);
      expect(again.params).toEqual(model.params);
      expect(back.config.id2label).toEqual({ 0: 'a', 1: 'b', 2: 'c' });
    },
  );

  const batch = (ids: number[], types: number[] = ids.map(() => 0)): Batch => ({
    batchSize: 1,
    seqLen: ids.length,
    inputIds: BigInt64Array.from(ids.map(BigInt)),
    attentionMask: BigInt64Array.from(ids.map(() => 1n)),
    tokenTypeIds: BigInt64Array.from(types.map(BigInt)),
    labels: BigInt64Array.from([0n]),
    rows: [7],
  });

  test('feeds: the graph inputs of each family; long batches, foreign ids and token types are refused with the row', () => {
    const r1 = robertaFamily.create(
      parseRobertaConfig({ ...roberta, type_vocab_size: 1, max_position_embeddings: 6 }),
      2,
    );
    expect(Object.keys(r1.feeds(batch([0, 5, 2]), true))).toEqual(['input_ids', 'attention_mask', 'labels']);
    expect(() => r1.feeds(batch([0, 5, 6, 7, 2]), false)).toThrow(
      /a batch of 5 tokens is longer than this RobertaForSequenceClassification model's 4 positions; set max_length <= 4/,
    );
    expect(() => r1.feeds(batch([0, 50, 2]), false)).toThrow(
      /row 7: token id 50 is outside this .* vocabulary \(vocab_size 50\)/,
    );
    expect(() => r1.feeds(batch([0, 5, 2], [0, 1, 1]), false)).toThrow(
      /row 7: token type 1 but this .* model has type_vocab_size 1/,
    );
    const r2 = robertaFamily.create(parseRobertaConfig(roberta), 2);
    expect(Object.keys(r2.feeds(batch([0, 5, 2], [0, 1, 1]), false))).toEqual([
      'input_ids',
      'attention_mask',
      'token_type_ids',
    ]);
    const d = distilbertFamily.create(parseDistilBertConfig(distil), 2);
    expect(Object.keys(d.feeds(batch([1, 5, 2], [0, 1, 1]), true))).toEqual(['input_ids', 'attention_mask', 'labels']);
  });
});
