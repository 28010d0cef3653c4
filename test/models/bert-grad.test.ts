// The whole BERT graph's gradient (autodiff through Gather, Slice, LayerNorm, attention, erf GELU,
// pooler, cross-entropy) against central finite differences, in float64, on a tiny config.
// ORT has no float64 Erf, so the float64 graph evaluates erf in float32 (see graph.ts); eps 1e-3
// keeps that rounding small. Measured here: the clean max abs error is 7.7e-7 (central-difference
// truncation + float32 erf); an Erf gradient 0.75% low gives 6.3e-5. The tolerance (3e-6 + 1e-4 x
// |gradient|) sits ~4x above the first and ~20x below the second.
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/index.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { numElements } from '../../src/util/shape.js';

const cfg = parseBertConfig({
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 12,
  vocab_size: 11,
  max_position_embeddings: 7,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
});

test('d loss / d every parameter matches finite differences (float64, padding + token types)', async () => {
  const model = new BertModel(cfg, 3, { dtype: 'float64', dropout: 0 });
  const B = 2,
    T = 5;
  const batch = [
    { name: 'input_ids', shape: [B, T], dtype: 'int64' as const, grad: false, data: [1, 4, 7, 2, 9, 1, 3, 10, 0, 0] },
    {
      name: 'attention_mask',
      shape: [B, T],
      dtype: 'int64' as const,
      grad: false,
      data: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    },
    {
      name: 'token_type_ids',
      shape: [B, T],
      dtype: 'int64' as const,
      grad: false,
      data: [0, 0, 1, 1, 1, 0, 1, 1, 0, 0],
    },
    { name: 'labels', shape: [B], dtype: 'int64' as const, grad: false, data: [2, 0] },
  ];
  // Random normal parameters with std 0.5 keep activations in the non-linear ranges; LayerNorm gains near 1.
  const r = (() => {
    let s = 3;
    return () => (s = (s * 48271) % 2147483647) / 2147483647;
  })();
  const params = model.params.map((p) => {
    const n = numElements(p.shape);
    const base = p.name.includes('LayerNorm.weight') ? 1 : 0;
    return { name: p.name, shape: p.shape, data: Array.from({ length: n }, () => base + (r() - 0.5)) };
  });
  const res = await gradCheck(
    [...params, ...batch],
    (g, xs) => {
      const pm = new Map(model.params.map((p, i) => [p.name, xs[i]]));
      const b = Object.fromEntries(batch.map((s, i) => [s.name, xs[params.length + i]]));
      return model.forward(g, pm, b, { train: true }).loss!;
    },
    { maxElems: 12, seed: 5, eps: 1e-3, atol: 3e-6, rtol: 1e-4 },
  );
  console.log(
    `BERT gradcheck: ${res.checked} elements, max abs err ${res.maxAbsErr.toExponential(2)}, max rel err ${res.maxRelErr.toExponential(2)}`,
  );
  expect(res.checked).toBeGreaterThan(model.params.length * 5);
  expect(res.maxAbsErr).toBeLessThan(3e-6);
});
