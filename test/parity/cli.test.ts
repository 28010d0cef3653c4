// Parity reproduced from the CLI, as a user would: `textclf train` on pre-tokenized JSONL (no
// tokenizer in the model dir), no shuffle, dropout 0, no clipping, with --log_file; its per-step
// losses, lrs and gradient norms must match the PyTorch reference's on the same batches, and the
// final checkpoint's weights must match the ones `reference.py train --save` writes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeBatches, type JsonBatch } from './fixtures.js';
import { writePretokenizedJsonl } from '../helpers/tiny-cli-train.js';
import { BIAS_STD, jsonLines, reference, requireTorch, type RefStep } from './reference.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { compareParams, GRAD_NORM_RTOL } from './compare.js';

const STEPS = 20,
  BATCHES = 5,
  BATCH = 8;

test('textclf train --log_file matches reference.py train step by step (20 steps: loss, lr, grad_norm; final weights)', () => {
  requireTorch();
  const dir = mkdtempSync(join(tmpdir(), 'cli-parity-'));
  try {
    reference(['init', '--arch', 'bert', '--out', join(dir, 'tiny'), '--vocab', '1000', '--bias-std', BIAS_STD]);
    const batches: JsonBatch[] = makeBatches({
      count: BATCHES,
      batch: BATCH,
      seq: 16,
      vocab: 1000,
      labels: 2,
      seed: 5,
      learnable: true,
    });
    writeFileSync(join(dir, 'batches.json'), JSON.stringify(batches));
    const torch = jsonLines<RefStep>(
      reference([
        'train',
        '--model',
        join(dir, 'tiny'),
        '--batches',
        join(dir, 'batches.json'),
        '--steps',
        String(STEPS),
        '--lr',
        '1e-3',
        '--weight-decay',
        '0.01',
        '--warmup-steps',
        '2',
        '--total-steps',
        String(STEPS),
        '--save',
        join(dir, 'torch-final'),
      ]),
    );
    // One row per example; every epoch replays the 5 batches in file order, like step % 5 in the reference.
    writePretokenizedJsonl(join(dir, 'train.jsonl'), batches);
    const cli = spawnSync(
      process.execPath,
      [
        resolve('dist/cli.js'),
        'train',
        '--datastore',
        dir,
        '--train_file',
        'train.jsonl',
        '--valid_file',
        '',
        '--test_file',
        '',
        '--model_name_or_path',
        join(dir, 'tiny'),
        '--shuffle',
        'false',
        '--batch_size',
        String(BATCH),
        '--max_epochs',
        String(STEPS / BATCHES),
        '--dropout',
        '0',
        '--learning_rate',
        '1e-3',
        '--weight_decay',
        '0.01',
        '--warmup_steps',
        '2',
        '--max_grad_norm',
        '0',
        '--max_length',
        '16',
        '--output_dir',
        join(dir, 'out'),
        '--log_file',
        join(dir, 'steps.jsonl'),
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(cli.stderr).not.toMatch(/^error:/m);
    expect(cli.status).toBe(0);
    const ours = readFileSync(join(dir, 'steps.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number; lr: number; grad_norm: number });
    expect(ours.map((s) => s.step)).toEqual(torch.map((s) => s.step));
    let worst = 0,
      worstNorm = 0;
    ours.forEach((s, i) => {
      expect(s.lr).toBeCloseTo(torch[i].lr, 12);
      worst = Math.max(worst, Math.abs(s.loss - torch[i].loss) / Math.abs(torch[i].loss));
      expect(typeof s.grad_norm).toBe('number');
      worstNorm = Math.max(worstNorm, Math.abs(s.grad_norm - torch[i].grad_norm) / torch[i].grad_norm);
    });
    const initial = new Map(
      [...readSafetensors(join(dir, 'tiny', 'model.safetensors')).tensors].map(([k, t]) => [k, t.data as Float32Array]),
    );
    const load = (file: string) =>
      new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, t.data as Float32Array]));
    const torchFinal = load(join(dir, 'torch-final', 'model.safetensors'));
    const ourFinal = load(join(dir, 'out', 'checkpoints', 'final', 'model.safetensors'));
    const diff = compareParams(ourFinal, torchFinal, initial);
    process.stdout.write(
      `CLI parity: max relative loss difference ${worst.toExponential(2)}, grad_norm ${worstNorm.toExponential(2)} over ${STEPS} steps; ${diff.summary}\n`,
    );
    expect(worst).toBeLessThan(1e-4);
    expect(worstNorm).toBeLessThan(GRAD_NORM_RTOL);
    expect(diff.names).toBe(torchFinal.size);
    expect(diff.failures).toEqual([]);
    // It trained, not a frozen match: the last 5-batch cycle's mean loss is below the first one's.
    const mean = (xs: RefStep[]) => xs.reduce((a, s) => a + s.loss, 0) / xs.length;
    expect(mean(ours.slice(-BATCHES))).toBeLessThan(mean(ours.slice(0, BATCHES)) - 0.005);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
