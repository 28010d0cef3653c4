// Integration: the BERT TrainableModel (src/models/bert) through the step graph and runner.
// A tiny config, dropout 0: K steps in one Loop run equal K single-step runs, accumulation runs,
// and the loss falls on a memorisable batch.
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/graph.js';
import { initBertWeights } from '../../src/models/bert/load.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { Runner } from '../../src/engine/runner.js';
import { mulberry32 } from '../../src/util/random.js';

const cfg = parseBertConfig({
  model_type: 'bert',
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  vocab_size: 50,
  max_position_embeddings: 32,
  type_vocab_size: 2,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
});
const model = new BertModel(cfg, 3, { dropout: 0 });

function batch(seed: number, B = 4, S = 10): MicroBatch {
  const r = mulberry32(seed);
  const lens = Array.from({ length: B }, () => 4 + Math.floor(r() * (S - 4)));
  const ids = new BigInt64Array(B * S),
    mask = new BigInt64Array(B * S);
  lens.forEach((len, b) => {
    for (let t = 0; t < len; t++) {
      ids[b * S + t] = BigInt(t === 0 ? 1 : 2 + Math.floor(r() * 48));
      mask[b * S + t] = 1n;
    }
  });
  return {
    input_ids: { data: ids, dims: [B, S] },
    attention_mask: { data: mask, dims: [B, S] },
    token_type_ids: { data: new BigInt64Array(B * S), dims: [B, S] },
    labels: { data: BigInt64Array.from(lens.map((_, b) => BigInt((seed + b) % 3))), dims: [B] },
  };
}

describe('Runner with the BERT model', () => {
  test('4 steps in one run equal 4 single runs (AdamW, decay groups, clipping); loss falls', async () => {
    const opts = { optimizer: { kind: 'adamw', weightDecay: 0.01 } as const, maxGradNorm: 1, threads: 1 };
    const a = await Runner.create(model, { ...opts, params: initBertWeights(model.params, cfg, 1) });
    const b = await Runner.create(model, { ...opts, params: initBertWeights(model.params, cfg, 1) });
    const bs = [batch(1), batch(2), batch(3), batch(4)];
    const lrs = [1e-3, 1e-3, 1e-3, 1e-3];
    const single: number[] = [];
    for (let i = 0; i < 4; i++) single.push(...(await a.step([bs[i]], [lrs[i]])).losses);
    const four = await b.step(bs, lrs);
    four.losses.forEach((l, i) => expect(Math.abs(l - single[i])).toBeLessThanOrEqual(1e-6));
    const pa = a.exportState().params,
      pb = b.exportState().params;
    for (const [k, v] of pa) v.forEach((x, i) => expect(Math.abs(x - pb.get(k)![i])).toBeLessThanOrEqual(1e-6));

    // Memorise one batch: the loss must fall well below its start.
    const fixed = batch(9);
    const first = (await a.step([fixed], [1e-2])).losses[0];
    const later = (await a.step(Array(15).fill(fixed), Array(15).fill(1e-2))).losses;
    expect(later[14]).toBeLessThan(first * 0.5);
    await Promise.all([a.release(), b.release()]);
  });

  test('accumulate_grad_batches=2 and evaluation without labels', async () => {
    const r = await Runner.create(model, {
      optimizer: { kind: 'adamw' },
      accumulate: 2,
      threads: 1,
      params: initBertWeights(model.params, cfg, 2),
    });
    const s = await r.step([batch(5), batch(6), batch(7), batch(8)], [1e-3, 1e-3]);
    expect(s.losses).toHaveLength(2);
    const { labels: _labels, ...inputs } = batch(5);
    const ev = await r.evaluate(inputs);
    expect(ev.dims).toEqual([4, 3]);
    expect(ev.loss).toBeUndefined();
    await r.release();
  });
});
