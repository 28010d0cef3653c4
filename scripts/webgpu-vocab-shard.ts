// The vocab-140000 check of issue 20 on a real adapter (node --import tsx scripts/webgpu-vocab-shard.ts;
// needs a WebGPU adapter and `npm run build`; lavapipe: ~4 minutes). A BERT with a 140000 x 256 word
// table (143 MB, over lavapipe's 128 MiB maxStorageBufferBindingSize) trains 4 steps (batch 2,
// length 16, dropout on) through `textclf train --log_file` on --device webgpu and --device cpu:
// the table is trained in row shards on webgpu, the step logs must agree within 1e-4 relative (loss
// and grad_norm), and both final checkpoints hold the table as one [140000, 256] tensor under its
// Hugging Face name. Exits 1 when any of that fails. Too slow for the test suite (a 36M-parameter
// AdamW on a software GPU); test/engine/buffer-limits.test.ts covers the same paths with a tiny
// model and an artificial limit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/models/safetensors.js';
import { mulberry32 } from '../src/util/random.js';

const VOCAB = 140_000;
const WORDS = 'bert.embeddings.word_embeddings.weight';
const dir = mkdtempSync(join(tmpdir(), 'textclf-vocab-shard-'));
const keep = process.argv.includes('--keep');

try {
  const model = join(dir, 'big');
  mkdirSync(model);
  writeFileSync(
    join(model, 'config.json'),
    JSON.stringify({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      vocab_size: VOCAB,
      hidden_size: 256,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      intermediate_size: 512,
      max_position_embeddings: 64,
      type_vocab_size: 2,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      initializer_range: 0.02,
      pad_token_id: 0,
    }),
  );
  // One stored tensor: every other weight is initialised from --seed, alike on both devices.
  writeSafetensors(join(model, 'model.safetensors'), {
    'bert.pooler.dense.bias': { dtype: 'float32', shape: [256], data: new Float32Array(256) },
  });
  // 8 pre-tokenized rows of 16 ids drawn over the whole vocabulary (every shard is read).
  const rand = mulberry32(12345);
  const rows = Array.from({ length: 8 }, (_, r) =>
    JSON.stringify({
      input_ids: [2, ...Array.from({ length: 14 }, () => 5 + Math.floor(rand() * (VOCAB - 5))), 3],
      label: r % 2,
    }),
  );
  writeFileSync(join(dir, 'train.jsonl'), rows.join('\n') + '\n');

  const run = (device: string) => {
    const out = join(dir, `out-${device}`);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        resolve('dist/cli.js'),
        'train',
        ...['--datastore', dir, '--train_file', 'train.jsonl', '--valid_file', '', '--test_file', ''],
        ...['--model_name_or_path', model, '--shuffle', 'false', '--batch_size', '2', '--max_length', '16'],
        ...['--max_epochs', '1', '--learning_rate', '1e-3', '--seed', '7', '--save_checkpoints', 'last'],
        ...['--output_dir', out, '--log_file', join(out, 'steps.jsonl'), '--device', device],
      ],
      { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? dir } },
    );
    const seconds = (Date.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`--device ${device} failed (exit ${r.status}):\n${r.stderr}`);
    const steps = readFileSync(join(out, 'steps.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number; grad_norm: number });
    const table = readSafetensors(join(out, 'checkpoints', 'final', 'model.safetensors')).tensors.get(WORDS);
    return { steps, seconds, log: r.stdout + r.stderr, tableShape: table?.shape };
  };

  const cpu = run('cpu');
  const gpu = run('webgpu');
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  console.log('step | loss cpu | loss webgpu | rel | grad_norm cpu | grad_norm webgpu | rel');
  let worst = 0;
  cpu.steps.forEach((c, i) => {
    const g = gpu.steps[i];
    const [rl, rn] = [rel(g.loss, c.loss), rel(g.grad_norm, c.grad_norm)];
    worst = Math.max(worst, rl, rn);
    console.log(
      `${c.step} | ${c.loss} | ${g.loss} | ${rl.toExponential(2)} | ${c.grad_norm} | ${g.grad_norm} | ${rn.toExponential(2)}`,
    );
  });
  const shardLine = gpu.log.split('\n').find((l) => l.includes('row shards'));
  console.log(`webgpu: ${shardLine ?? '(no row-shard line in the log)'}`);
  console.log(`checkpoint ${WORDS}: cpu [${cpu.tableShape}], webgpu [${gpu.tableShape}]`);
  console.log(
    `wall: cpu ${cpu.seconds.toFixed(0)} s, webgpu ${gpu.seconds.toFixed(0)} s; largest relative difference ${worst.toExponential(2)}`,
  );
  const ok =
    cpu.steps.length === 4 &&
    gpu.steps.length === 4 &&
    worst < 1e-4 &&
    !!shardLine &&
    [cpu.tableShape, gpu.tableShape].every((s) => s?.join() === `${VOCAB},256`);
  console.log(ok ? 'OK' : 'FAILED');
  process.exitCode = ok ? 0 : 1;
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
