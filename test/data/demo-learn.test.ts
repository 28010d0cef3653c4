// End-to-end learnability of the demo task with the project's own engine: tokenizer -> batching ->
// tiny BERT (demoBertConfig) -> Runner with AdamW, using DEMO_FLAGS; one CPU thread.
import { batches, type BatchOptions } from '../../src/data/batching.js';
import { DEMO_FLAGS, demoBertConfig, generateDemoSplits, writeDemoTokenizer } from '../../src/data/demo/index.js';
import type { Batch } from '../../src/data/types.js';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/graph.js';
import { initBertWeights } from '../../src/models/bert/load.js';
import type { MicroBatch } from '../../src/train/feeds.js';
import { Runner } from '../../src/train/runner.js';
import { encodeExamples, loadTokenizer } from '../../src/tokenizer/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const feed = (b: Batch, withLabels: boolean): MicroBatch => ({
  input_ids: { data: b.inputIds, dims: [b.batchSize, b.seqLen] },
  attention_mask: { data: b.attentionMask, dims: [b.batchSize, b.seqLen] },
  token_type_ids: { data: b.tokenTypeIds, dims: [b.batchSize, b.seqLen] },
  ...(withLabels ? { labels: { data: b.labels, dims: [b.batchSize] } } : {}),
});

test('a 2-layer hidden-64 BERT reaches >= 85% test accuracy on the demo data', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'demo-learn-'));
  try {
    const t0 = performance.now();
    await writeDemoTokenizer(dir);
    const tok = await loadTokenizer(dir);
    const splits = generateDemoSplits(DEMO_FLAGS.seed);
    const labels = { labels: ['negative', 'positive'], label2id: { negative: 0, positive: 1 } };
    const encode = (rows: { review: string; sentiment: string }[]) =>
      encodeExamples(tok, rows.map((r, i) => ({ row: i + 1, text: r.review, label: r.sentiment })), labels, DEMO_FLAGS.max_length);
    const train = encode(splits.train);
    const test = encode(splits.test);

    const cfg = parseBertConfig(demoBertConfig(tok.vocabSize));
    const model = new BertModel(cfg, 2, { seed: DEMO_FLAGS.seed });
    const runner = await Runner.create(model, {
      optimizer: { kind: 'adamw', weightDecay: DEMO_FLAGS.weight_decay },
      maxGradNorm: DEMO_FLAGS.max_grad_norm,
      threads: 1,
      params: initBertWeights(model.params, cfg, DEMO_FLAGS.seed),
    });
    const opts: BatchOptions = { batchSize: DEMO_FLAGS.batch_size, padding: 'longest', maxLength: DEMO_FLAGS.max_length, padId: tok.padId, shuffle: true, seed: DEMO_FLAGS.seed };
    const total = Math.ceil(train.size / opts.batchSize) * DEMO_FLAGS.max_epochs;
    const warm = DEMO_FLAGS.warmup_steps;
    let step = 0;
    const losses: number[] = [];
    for (let epoch = 0; epoch < DEMO_FLAGS.max_epochs; epoch++) {
      let sum = 0, n = 0;
      for (const b of batches(train, { ...opts, epoch })) {
        const lr = DEMO_FLAGS.learning_rate * (step < warm ? step / warm : (total - step) / (total - warm));
        sum += (await runner.step([feed(b, true)], [lr])).losses[0];
        n++;
        step++;
      }
      losses.push(sum / n);
    }
    let correct = 0;
    for (const b of batches(test, { ...opts, shuffle: false, batchSize: 100 })) {
      const { logits } = await runner.evaluate(feed(b, false));
      for (let i = 0; i < b.batchSize; i++) if (BigInt(logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === b.labels[i]) correct++;
    }
    await runner.release();
    const acc = correct / test.size;
    const secs = (performance.now() - t0) / 1000;
    console.log(`demo: ${step} steps, epoch losses ${losses.map((l) => l.toFixed(3)).join(' ')}, test accuracy ${acc.toFixed(3)}, ${secs.toFixed(1)} s`);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    expect(acc).toBeGreaterThanOrEqual(0.85);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
