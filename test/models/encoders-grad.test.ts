// Whole-model gradients of RoBERTa, DistilBERT and ModernBERT (padding_idx embeddings, RoBERTa's
// positions, rotary tables, sliding-window and full attention, GeGLU, mean pooling, the heads)
// against central finite differences in float64, on tiny configs. Pad ids sit only where the mask is
// 0, where they change nothing, so the pad rows' zero gradient agrees with the numbers too; the
// padding_idx rule itself (a pad id where the mask is 1) is checked against PyTorch in test/parity.
// ORT has no float64 Erf: GELU evaluates erf in float32, so eps 1e-3 and atol 1e-4 as for BERT.
import { parseDistilBertConfig } from '../../src/models/distilbert/config.js';
import { distilbertFamily } from '../../src/models/distilbert/index.js';
import type { SequenceClassifier } from '../../src/models/family.js';
import { parseModernBertConfig } from '../../src/models/modernbert/config.js';
import { modernbertFamily } from '../../src/models/modernbert/index.js';
import { parseRobertaConfig } from '../../src/models/roberta/config.js';
import { robertaFamily } from '../../src/models/roberta/index.js';
import { numElements } from '../../src/util/shape.js';
import { gradCheck } from '../helpers/gradcheck.js';

const B = 2,
  T = 6;

const models: { name: string; make: () => SequenceClassifier; pad: number }[] = [
  {
    name: 'roberta (token types fed)',
    pad: 1,
    make: () =>
      robertaFamily.create(
        parseRobertaConfig({
          model_type: 'roberta',
          hidden_size: 8,
          num_hidden_layers: 2,
          num_attention_heads: 2,
          intermediate_size: 12,
          vocab_size: 13,
          max_position_embeddings: 9,
          type_vocab_size: 2,
          layer_norm_eps: 1e-5,
          pad_token_id: 1,
        }),
        3,
        { dtype: 'float64', dropout: 0 },
      ),
  },
  {
    name: 'xlm-roberta (one token type, relu)',
    pad: 1,
    make: () =>
      robertaFamily.create(
        parseRobertaConfig({
          model_type: 'xlm-roberta',
          hidden_size: 8,
          num_hidden_layers: 1,
          num_attention_heads: 2,
          intermediate_size: 12,
          vocab_size: 13,
          max_position_embeddings: 9,
          type_vocab_size: 1,
          hidden_act: 'relu',
        }),
        3,
        { dtype: 'float64', dropout: 0 },
      ),
  },
  {
    name: 'distilbert',
    pad: 0,
    make: () =>
      distilbertFamily.create(
        parseDistilBertConfig({
          model_type: 'distilbert',
          dim: 8,
          n_layers: 2,
          n_heads: 2,
          hidden_dim: 12,
          vocab_size: 13,
          max_position_embeddings: 7,
        }),
        3,
        { dtype: 'float64', dropout: 0 },
      ),
  },
  ...(['cls', 'mean'] as const).map((pooling) => ({
    name: `modernbert (${pooling} pooling, window 2, biases ${pooling === 'mean' ? 'on' : 'off'})`,
    pad: 0,
    make: () =>
      modernbertFamily.create(
        parseModernBertConfig({
          model_type: 'modernbert',
          hidden_size: 8,
          num_hidden_layers: 3,
          num_attention_heads: 2,
          intermediate_size: 6,
          vocab_size: 13,
          max_position_embeddings: 16,
          global_attn_every_n_layers: 2,
          local_attention: 2,
          classifier_pooling: pooling,
          norm_bias: pooling === 'mean',
          attention_bias: pooling === 'mean',
          mlp_bias: pooling === 'mean',
          classifier_bias: pooling === 'mean',
          pad_token_id: 0,
        }),
        3,
        { dtype: 'float64', dropout: 0 },
      ),
  })),
];

test.each(models)('$name: d loss / d every parameter matches finite differences (float64)', async ({ make, pad }) => {
  const model = make();
  const p = pad;
  const ids = [2, 4, 7, 3, 9, 11, 2, 5, 10, 8, p, p];
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  const types = [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0];
  const inputs: Record<string, number[]> = { input_ids: ids, attention_mask: mask, token_type_ids: types };
  const batch = model.batchInputs.map((b) => ({
    name: b.name,
    shape: b.name === 'labels' ? [B] : [B, T],
    dtype: 'int64' as const,
    grad: false,
    data: b.name === 'labels' ? [2, 0] : inputs[b.name],
  }));
  let s = 3;
  const r = () => (s = (s * 48271) % 2147483647) / 2147483647;
  const params = model.params.map((q) => {
    const n = numElements(q.shape);
    const base = !q.decay && !q.name.endsWith('.bias') ? 1 : 0; // norm gains near 1
    return { name: q.name, shape: q.shape, data: Array.from({ length: n }, () => base + (r() - 0.5)) };
  });
  const res = await gradCheck(
    [...params, ...batch],
    (g, xs) => {
      const pm = new Map(model.params.map((q, i) => [q.name, xs[i]]));
      const b = Object.fromEntries(batch.map((q, i) => [q.name, xs[params.length + i]]));
      return model.forward(g, pm, b, { train: true }).loss!;
    },
    { maxElems: 10, seed: 5, eps: 1e-3, atol: 1e-4, rtol: 1e-3 },
  );
  console.log(`${model.architecture}: ${res.checked} elements, max abs err ${res.maxAbsErr.toExponential(2)}`);
  expect(res.checked).toBeGreaterThan(model.params.length * 4);
});
