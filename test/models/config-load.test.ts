// config.json validation, HF parameter names/decay flags, and from_pretrained-style weight loading
// (key variants, unused/missing/mismatched reports, seeded classifier init).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertModel, parseBertConfig } from '../../src/models/bert/index.js';
import { bertKeys } from '../../src/models/bert/keys.js';
import { loadWeights } from '../../src/models/weights.js';
import { ModelError } from '../../src/models/errors.js';
import { tinyConfigJson, writeTinyModel } from './tiny-model.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bert-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config.json', () => {
  test('reads the BERT fields with HF defaults', () => {
    const c = parseBertConfig({ ...tinyConfigJson(), layer_norm_eps: undefined, hidden_dropout_prob: 0.2 });
    expect(c).toMatchObject({
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 2,
      intermediateSize: 32,
      vocabSize: 30,
      maxPositions: 32,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenDropout: 0.2,
      attentionDropout: 0.1,
      initializerRange: 0.5,
    });
    expect(c.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
  });

  test('unsupported or inconsistent configs name the file, the key and the fix', () => {
    const base = tinyConfigJson();
    expect(() => parseBertConfig({ ...base, hidden_act: 'mish' }, 'm/config.json')).toThrow(
      /m\/config\.json: "hidden_act" is "mish"; expected one of "gelu", "relu"/,
    );
    expect(() => parseBertConfig({ ...base, hidden_act: 'mish' })).toThrow(ModelError);
    // BertConfig's activations are HF's ACT2FN names, as for the families derived from BERT.
    expect(parseBertConfig({ ...base, hidden_act: 'gelu_new' }).hiddenAct).toBe('gelu_new');
    expect(() => parseBertConfig({ ...base, model_type: 'roberta' })).toThrow(
      /model_type is "roberta"; this reader takes "bert"/,
    );
    expect(() => parseBertConfig({ ...base, num_attention_heads: 3 })).toThrow(
      /hidden_size 16 is not a multiple of num_attention_heads 3/,
    );
    // Absent keys take BertConfig's defaults, as in transformers.
    expect(parseBertConfig({ ...base, hidden_size: undefined, num_attention_heads: undefined })).toMatchObject({
      hiddenSize: 768,
      numHeads: 12,
    });
    expect(() => parseBertConfig({ ...base, position_embedding_type: 'relative_key' })).toThrow(
      /position_embedding_type is "relative_key"; only "absolute" is supported/,
    );
    expect(() => parseBertConfig({ ...base, vocab_size: 1.5 })).toThrow(
      /"vocab_size" is 1\.5; expected an integer >= 1/,
    );
    expect(() => parseBertConfig({ ...base, layer_norm_eps: 0 })).toThrow(
      /"layer_norm_eps" is 0; expected a number in \(0, 1\]/,
    );
    expect(() => parseBertConfig([])).toThrow(/expected a JSON object/);
  });
});

describe('parameters', () => {
  test('names, shapes and order are those of HF BertForSequenceClassification; no decay on biases and LayerNorm', () => {
    const specs = new BertModel(parseBertConfig(tinyConfigJson()), 3).params;
    expect(specs.length).toBe(5 + 2 * 16 + 4);
    expect(specs.slice(0, 5).map((s) => [s.name, s.shape])).toEqual([
      ['bert.embeddings.word_embeddings.weight', [30, 16]],
      ['bert.embeddings.position_embeddings.weight', [32, 16]],
      ['bert.embeddings.token_type_embeddings.weight', [2, 16]],
      ['bert.embeddings.LayerNorm.weight', [16]],
      ['bert.embeddings.LayerNorm.bias', [16]],
    ]);
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect(byName.get('bert.encoder.layer.1.intermediate.dense.weight')!.shape).toEqual([32, 16]);
    expect(byName.get('bert.encoder.layer.1.output.dense.weight')!.shape).toEqual([16, 32]);
    expect(byName.get('classifier.weight')!.shape).toEqual([3, 16]);
    const noDecay = specs.filter((s) => !s.decay).map((s) => s.name);
    expect(noDecay.every((n) => n.endsWith('.bias') || n.includes('LayerNorm'))).toBe(true);
    expect(noDecay).toContain('bert.encoder.layer.0.attention.output.LayerNorm.weight');
    expect(specs.filter((s) => s.decay).map((s) => s.name)).toContain('bert.embeddings.word_embeddings.weight');
    expect(specs.filter((s) => s.decay).length).toBe(3 + 2 * 6 + 2);
  });
});

describe('loading weights', () => {
  const cfg = parseBertConfig(tinyConfigJson());

  test('an exact checkpoint loads with no warnings and the same values', () => {
    const { weights } = writeTinyModel(join(dir, 'exact'));
    const w = loadWeights(join(dir, 'exact', 'model.safetensors'), new BertModel(cfg, 2), { seed: 1 });
    expect(w.warnings).toEqual([]);
    expect(Array.from(w.values.get('bert.encoder.layer.1.output.dense.weight')!)).toEqual(
      Array.from(weights.get('bert.encoder.layer.1.output.dense.weight')!),
    );
  });

  test('BertModel keys (no bert. prefix) with gamma/beta LayerNorm names; pretraining heads unused; new labels reinit the classifier', () => {
    const { weights } = writeTinyModel(join(dir, 'legacy'), {
      labels: 2,
      renameKey: (k) =>
        k.startsWith('classifier')
          ? undefined
          : k
              .replace(/^bert\./, '')
              .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
              .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
    });
    expect(bertKeys.canonical('encoder.layer.0.output.LayerNorm.gamma')).toBe(
      'bert.encoder.layer.0.output.LayerNorm.weight',
    );
    const model = new BertModel(cfg, 4);
    const w = loadWeights(join(dir, 'legacy', 'model.safetensors'), model, {
      seed: 42,
      modelName: 'tiny-legacy',
    });
    expect(w.missing).toEqual(['classifier.weight', 'classifier.bias']);
    expect(w.unexpected).toEqual([]);
    expect(Array.from(w.values.get('bert.embeddings.LayerNorm.weight')!)).toEqual(
      Array.from(weights.get('bert.embeddings.LayerNorm.weight')!),
    );
    expect(w.warnings).toEqual([
      'Some weights of BertForSequenceClassification were not initialized from the model checkpoint at tiny-legacy and are newly initialized: ' +
        "['classifier.weight', 'classifier.bias']\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.",
    ]);
    // classifier ~ normal(0, initializer_range=0.5), seeded: same seed same values, other seed other values
    const cw = w.values.get('classifier.weight')!;
    expect(cw.length).toBe(4 * 16);
    const std = Math.sqrt(cw.reduce((a, v) => a + v * v, 0) / cw.length);
    expect(std).toBeGreaterThan(0.3);
    expect(std).toBeLessThan(0.7);
    expect(Array.from(w.values.get('classifier.bias')!)).toEqual(new Array(4).fill(0));
    const again = loadWeights(join(dir, 'legacy', 'model.safetensors'), model, { seed: 42 });
    expect(Array.from(again.values.get('classifier.weight')!)).toEqual(Array.from(cw));
    const other = loadWeights(join(dir, 'legacy', 'model.safetensors'), model, { seed: 43 });
    expect(Array.from(other.values.get('classifier.weight')!)).not.toEqual(Array.from(cw));
  });

  test('a classifier of the wrong shape is reported as mismatched and reinitialised; extra keys are reported as unused', () => {
    writeTinyModel(join(dir, 'three'), {
      labels: 3,
      renameKey: (k) => (k === 'bert.pooler.dense.bias' ? 'cls.predictions.bias' : k),
    });
    const w = loadWeights(join(dir, 'three', 'model.safetensors'), new BertModel(cfg, 2), {
      seed: 1,
      modelName: 'm3',
    });
    expect(w.mismatched).toEqual([
      { name: 'classifier.weight', found: [3, 16], expected: [2, 16] },
      { name: 'classifier.bias', found: [3], expected: [2] },
    ]);
    expect(w.unexpected).toEqual(['cls.predictions.bias']);
    expect(w.missing).toEqual(['bert.pooler.dense.bias']);
    expect(w.warnings[0]).toMatch(
      /^Some weights of the model checkpoint at m3 were not used when initializing BertForSequenceClassification: \['cls\.predictions\.bias'\]/,
    );
    expect(w.warnings[2]).toMatch(
      /newly initialized because the shapes did not match:\n- classifier\.weight: found shape \[3, 16\] in the checkpoint and \[2, 16\] in the model instantiated/,
    );
  });

  test('encoder weights that disagree with config.json are an error naming the key', () => {
    writeTinyModel(join(dir, 'other'));
    const wrong = parseBertConfig({ ...tinyConfigJson(), intermediate_size: 64 });
    expect(() => loadWeights(join(dir, 'other', 'model.safetensors'), new BertModel(wrong, 2), { seed: 1 })).toThrow(
      /'bert\.encoder\.layer\.0\.intermediate\.dense\.weight' has shape \[32,16\] but config\.json implies \[64,16\]/,
    );
  });
});
