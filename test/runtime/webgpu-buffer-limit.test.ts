// The real adapter's buffer limit, through the CLI as users run it (lavapipe reports a
// maxStorageBufferBindingSize of 128 MiB): a run whose step would make a tensor over it fails
// before it reads any data (train.jsonl here breaks on its second line), naming the tensor, its size, the
// adapter's limit and the fix; the same run on the CPU, which has no such limit, gets as far as
// the data. (Sharding an over-limit embedding table is covered on the CPU EP with an artificial
// limit in test/engine/buffer-limits.test.ts; the vocab-140000 model on lavapipe by
// scripts/webgpu-vocab-shard.ts, too slow for the suite.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSafetensors } from '../../src/models/safetensors.js';
import { testWebgpu } from '../helpers/webgpu.js';

const dir = mkdtempSync(join(tmpdir(), 'textclf-limit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(device: string) {
  return spawnSync(
    process.execPath,
    [
      resolve('dist/cli.js'),
      'train',
      ...['--datastore', dir, '--train_file', 'train.jsonl', '--valid_file', '', '--test_file', ''],
      ...['--model_name_or_path', join(dir, 'wide'), '--batch_size', '64', '--max_length', '256'],
      ...['--output_dir', join(dir, `out-${device}`), '--device', device],
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? dir },
    },
  );
}

testWebgpu(
  '--device webgpu: attention scores over the adapter limit fail before the data is read, naming tensor, size, limit and fix',
  () => {
    mkdirSync(join(dir, 'wide'));
    // 16 heads: the attention scores of 64 x 256 tokens are [64, 16, 256, 256] float32 = 256 MiB
    writeFileSync(
      join(dir, 'wide', 'config.json'),
      JSON.stringify({
        model_type: 'bert',
        vocab_size: 100,
        hidden_size: 64,
        num_hidden_layers: 1,
        num_attention_heads: 16,
        intermediate_size: 64,
        max_position_embeddings: 256,
        type_vocab_size: 2,
      }),
    );
    writeSafetensors(join(dir, 'wide', 'model.safetensors'), {
      'bert.pooler.dense.bias': { dtype: 'float32', shape: [64], data: new Float32Array(64) },
    });
    // pre-tokenized by its first line; its second line is broken, which reading the data would report
    writeFileSync(join(dir, 'train.jsonl'), '{"input_ids": [2, 7, 3], "label": 0}\nthis is not JSON\n');
    const t0 = Date.now();
    const r = train('webgpu');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /the training step makes a tensor of 256\.0 MiB \(268,435,456 bytes\) \(float32 \[batch, 16, seq, seq\] = \[64, 16, 256, 256\] at batch 64, seq 256, \w+ output '.+'\), over the device's buffer limit of 128\.0 MiB \(134,217,728 bytes\) \(the maxStorageBufferBindingSize of llvmpipe.*\); lower --batch_size or --max_length/,
    );
    expect(r.stderr + r.stdout).not.toMatch(/train\.jsonl:2|pre-tokenized rows/i);
    expect(Date.now() - t0).toBeLessThan(60_000);
    // The CPU has no such limit: the same run reads the data, and fails there.
    const cpu = train('cpu');
    expect(cpu.status).toBe(1);
    expect(cpu.stderr).toMatch(/train\.jsonl:2: invalid JSON/);
    expect(cpu.stderr).not.toMatch(/buffer limit/);
  },
  180_000,
);
