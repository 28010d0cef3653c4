// Integration: the BERT TrainableModel (src/models/bert) through the step graph and runner.
// A tiny config: K steps in one run equal K single-step runs (flat and per-parameter state, and
// with dropout on: the masks are drawn alike), a run padded to its longest micro-batch equals its
// micro-batches at their own lengths, evaluation of several batches per run equals one by one,
// accumulation runs, and the loss falls on a memorisable batch.
import { BertModel } from '../../src/models/bert/index.js';
import { initWeights } from '../../src/models/weights.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { FeedError } from '../../src/engine/feeds.js';
import { Runner } from '../../src/engine/runner.js';
import type { LayoutKind } from '../../src/engine/state-layout.js';
import { tinyBertBatch, tinyBertConfig } from '../helpers/tiny-bert.js';

const cfg = tinyBertConfig({ hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
const model = new BertModel(cfg, 3, { dropout: 0 });

const batch = tinyBertBatch;

/** Rows of `b` cut to `len` tokens (a batch as makeBatch pads it to its own longest row). */
function cut(b: MicroBatch, len: number): MicroBatch {
  const [B, S] = b.input_ids.dims;
  const rows = (t: BigInt64Array) =>
    BigInt64Array.from({ length: B * len }, (_, i) => t[Math.floor(i / len) * S + (i % len)]);
  return {
    input_ids: { data: rows(b.input_ids.data as BigInt64Array), dims: [B, len] },
    attention_mask: { data: rows(b.attention_mask.data as BigInt64Array), dims: [B, len] },
    token_type_ids: { data: rows(b.token_type_ids.data as BigInt64Array), dims: [B, len] },
    labels: b.labels,
  };
}

/** The longest row of `b` (its attention mask's last 1). */
function longest(b: MicroBatch): number {
  const [B, S] = b.input_ids.dims;
  const m = b.attention_mask.data as BigInt64Array;
  let n = 1;
  for (let r = 0; r < B; r++) for (let t = 0; t < S; t++) if (m[r * S + t]) n = Math.max(n, t + 1);
  return n;
}

/** K micro-batches as one run (rows step-major), as the trainer writes it. */
function joinRun(bs: MicroBatch[]): MicroBatch {
  const cat = (k: string) => {
    const parts = bs.map((b) => b[k].data as BigInt64Array);
    const out = new BigInt64Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
    return out;
  };
  const rows = bs.reduce((a, b) => a + b.input_ids.dims[0], 0);
  const S = bs[0].input_ids.dims[1];
  return {
    input_ids: { data: cat('input_ids'), dims: [rows, S] },
    attention_mask: { data: cat('attention_mask'), dims: [rows, S] },
    token_type_ids: { data: cat('token_type_ids'), dims: [rows, S] },
    labels: { data: cat('labels'), dims: [rows] },
  };
}

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe('Runner with the BERT model', () => {
  test('a run padded to its longest micro-batch, cut back by seqLens, equals each micro-batch at its own length', async () => {
    const opts = { optimizer: { kind: 'adamw', weightDecay: 0.01 } as const, maxGradNorm: 1, threads: 1 };
    const a = await Runner.create(model, { ...opts, params: initWeights(model, 3) });
    const b = await Runner.create(model, { ...opts, params: initWeights(model, 3) });
    const bs = [batch(11), batch(12), batch(13)];
    const lens = bs.map(longest);
    expect(new Set(lens).size).toBeGreaterThan(1); // the micro-batches really differ in length
    const lrs = [1e-3, 2e-3, 1e-3];
    const single: number[] = [];
    for (let i = 0; i < 3; i++) single.push(...(await a.step([cut(bs[i], lens[i])], [lrs[i]])).losses);
    // Past each micro-batch's own length the run holds token ids no vocabulary has: cut away
    // before the step, they are never read (uncut, the embedding Gather would fail on them).
    const joined = joinRun(bs);
    const ids = joined.input_ids.data as BigInt64Array;
    bs.forEach((mb, i) => {
      const [B, S] = mb.input_ids.dims;
      for (let r = 0; r < B; r++) for (let t = lens[i]; t < S; t++) ids[(i * B + r) * S + t] = 999_999n;
    });
    const run = await b.stepRun(joined, lrs, lens);
    expect(maxAbs(run.losses, single)).toBeLessThanOrEqual(1e-6);
    const pa = (await a.exportState()).params,
      pb = (await b.exportState()).params;
    for (const [k, v] of pa) expect(maxAbs(Array.from(v), Array.from(pb.get(k)!))).toBeLessThanOrEqual(1e-6);
    // lengths must be one per micro-batch, within the run's padded length
    await expect(b.stepRun(joinRun(bs), lrs, [4, 4])).rejects.toThrow(/2 sequence lengths for 3 micro-batches/);
    await expect(b.stepRun(joinRun(bs), lrs, [4, 11, 4])).rejects.toThrow(FeedError);
    await Promise.all([a.release(), b.release()]);
  });

  test('dropout on: K steps in one run draw the same masks as K single runs (equal losses and weights)', async () => {
    const dropModel = new BertModel(cfg, 3, { dropout: 0.1, seed: 7 });
    const opts = { optimizer: { kind: 'adamw', weightDecay: 0.01 } as const, maxGradNorm: 1, threads: 1 };
    const a = await Runner.create(dropModel, { ...opts, params: initWeights(dropModel, 1) });
    const b = await Runner.create(dropModel, { ...opts, params: initWeights(dropModel, 1) });
    const bs = [batch(21), batch(22), batch(23)];
    const lrs = [1e-3, 1e-3, 1e-3];
    const single: number[] = [];
    for (let i = 0; i < 3; i++) single.push(...(await a.step([bs[i]], [lrs[i]])).losses);
    const three = await b.step(bs, lrs);
    expect(maxAbs(three.losses, single)).toBeLessThanOrEqual(1e-6);
    const pa = (await a.exportState()).params,
      pb = (await b.exportState()).params;
    for (const [k, v] of pa) expect(maxAbs(Array.from(v), Array.from(pb.get(k)!))).toBeLessThanOrEqual(1e-6);
    // dropout is really on: the same batch again gives another loss than without dropout
    const ev = await a.evaluate(bs[0]);
    const again = (await a.step([bs[0]], [0])).losses[0];
    expect(Math.abs(again - ev.loss!)).toBeGreaterThan(1e-4);
    await Promise.all([a.release(), b.release()]);
  });

  test('evaluating several batches per run (different lengths and row counts) equals one by one', async () => {
    const r = await Runner.create(model, {
      optimizer: { kind: 'adamw' },
      threads: 1,
      params: initWeights(model, 4),
    });
    const bs = [cut(batch(31), 7), batch(32), cut(batch(33, 3), 9), batch(34, 3)];
    const many = await r.evaluateMany(bs);
    for (let i = 0; i < bs.length; i++) {
      const one = await r.evaluate(bs[i]);
      expect(many[i].dims).toEqual(one.dims);
      expect(maxAbs(Array.from(many[i].logits), Array.from(one.logits))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(many[i].loss! - one.loss!)).toBeLessThanOrEqual(1e-6);
    }
    expect(many[2].dims).toEqual([3, 3]);
    await r.release();
  });

  test.each(['per-param', 'flat'] as LayoutKind[])(
    '%s state: 4 steps in one run equal 4 single runs (AdamW, decay groups, clipping); loss falls',
    async (layout) => {
      const opts = { optimizer: { kind: 'adamw', weightDecay: 0.01 } as const, maxGradNorm: 1, threads: 1, layout };
      const a = await Runner.create(model, { ...opts, params: initWeights(model, 1) });
      const b = await Runner.create(model, { ...opts, params: initWeights(model, 1) });
      const bs = [batch(1), batch(2), batch(3), batch(4)];
      const lrs = [1e-3, 1e-3, 1e-3, 1e-3];
      const single: number[] = [];
      for (let i = 0; i < 4; i++) single.push(...(await a.step([bs[i]], [lrs[i]])).losses);
      const four = await b.step(bs, lrs);
      four.losses.forEach((l, i) => expect(Math.abs(l - single[i])).toBeLessThanOrEqual(1e-6));
      const pa = (await a.exportState()).params,
        pb = (await b.exportState()).params;
      for (const [k, v] of pa) v.forEach((x, i) => expect(Math.abs(x - pb.get(k)![i])).toBeLessThanOrEqual(1e-6));

      // Memorise one batch: the loss must fall well below its start.
      const fixed = batch(9);
      const first = (await a.step([fixed], [1e-2])).losses[0];
      const later = (await a.step(Array(15).fill(fixed), Array(15).fill(1e-2))).losses;
      expect(later[14]).toBeLessThan(first * 0.5);
      await Promise.all([a.release(), b.release()]);
    },
  );

  test('accumulate_grad_batches=2 and evaluation without labels', async () => {
    const r = await Runner.create(model, {
      optimizer: { kind: 'adamw' },
      accumulate: 2,
      threads: 1,
      params: initWeights(model, 2),
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
