// Parity reproduced from the CLI, as a user would (Must show): `textclf train` on pre-tokenized
// JSONL rows (unpadded: the CLI pads each batch with the model's own pad id), no shuffle, dropout 0,
// no clipping, --log_file; per-step loss (1e-4 relative) and grad_norm (GRAD_NORM_RTOL) equal
// `reference.py train` on the same batches (sentence-pair token types where the model takes
// them), and the final checkpoint equals `reference.py train --save`'s weights, for every
// registered model type. Runs dist/cli.js.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MODEL_TYPES, specialIds, tinyEncoderConfig } from '../helpers/encoder-models.js';
import { readModelConfig } from '../../src/models/registry.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { compareParams, GRAD_NORM_RTOL } from './compare.js';
import { encoderBatches } from './encoder-fixtures.js';
import { BIAS_STD, jsonLines, reference, requireTorch, type RefStep } from './reference.js';

const STEPS = 20,
  BATCHES = 5,
  BATCH = 8,
  SEQ = 16;

// Every registered model type at its tiny config (ModernBERT's with a window of 8).
const CASES = MODEL_TYPES.map((arch) => ({
  arch,
  extra: arch === 'modernbert' ? { local_attention: 8 } : {},
  ...specialIds(arch),
}));

let root: string;
beforeAll(() => {
  requireTorch();
  root = mkdtempSync(join(tmpdir(), 'enc-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test.each(CASES)(
  '$arch: textclf train --log_file matches reference.py train step by step (loss, lr, grad_norm; final weights)',
  (c) => {
    const dir = join(root, c.arch);
    const model = join(dir, 'tiny');
    mkdirSync(dir);
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(tinyEncoderConfig(c.arch, 1000, c.pad, 32, c.extra)));
    reference(['init', '--config', join(dir, 'tiny.json'), '--out', model, '--bias-std', BIAS_STD]);
    const { family, config } = readModelConfig(join(model, 'config.json'));
    const types = family.create(config, 2).batchInputs.some((b) => b.name === 'token_type_ids');
    const batches = encoderBatches({
      types,
      count: BATCHES,
      batch: BATCH,
      seq: SEQ,
      vocab: 1000,
      labels: 2,
      pad: c.pad,
      cls: c.cls,
      seed: 5,
      learnable: true,
      padInside: true,
    });
    writeFileSync(join(dir, 'batches.json'), JSON.stringify(batches));
    const torch = jsonLines<RefStep>(
      reference([
        'train',
        '--model',
        model,
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
        '--save',
        join(dir, 'torch-final'),
      ]),
    );
    // One unpadded row per example (a pad id inside a row stays: the mask is 1 there).
    const rows = batches.flatMap((b) =>
      b.labels.map((label, i) => {
        const len = b.attention_mask[i].reduce((a, m) => a + m, 0);
        const row: Record<string, unknown> = { input_ids: b.input_ids[i].slice(0, len), label };
        if (b.token_type_ids) row.token_type_ids = b.token_type_ids[i].slice(0, len);
        return JSON.stringify(row);
      }),
    );
    writeFileSync(join(dir, 'train.jsonl'), rows.join('\n') + '\n');
    const flags: Record<string, string> = {
      datastore: dir,
      train_file: 'train.jsonl',
      valid_file: '',
      test_file: '',
      model_name_or_path: model,
      shuffle: 'false',
      batch_size: String(BATCH),
      max_epochs: String(STEPS / BATCHES),
      dropout: '0',
      learning_rate: '1e-3',
      weight_decay: '0.01',
      warmup_steps: '2',
      max_grad_norm: '0',
      max_length: String(SEQ),
      output_dir: join(dir, 'out'),
      log_file: join(dir, 'steps.jsonl'),
    };
    const cli = spawnSync(
      process.execPath,
      [resolve('dist/cli.js'), 'train', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(cli.stderr).not.toMatch(/^error:/m);
    expect(cli.status).toBe(0);
    const ours = jsonLines<RefStep>(readFileSync(join(dir, 'steps.jsonl'), 'utf8'));
    expect(ours.map((s) => s.step)).toEqual(torch.map((s) => s.step));
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    let worstLoss = 0,
      worstNorm = 0;
    ours.forEach((s, i) => {
      expect(s.lr).toBeCloseTo(torch[i].lr, 12);
      worstLoss = Math.max(worstLoss, rel(s.loss, torch[i].loss));
      worstNorm = Math.max(worstNorm, rel(s.grad_norm, torch[i].grad_norm));
    });
    // The final checkpoint against `reference.py train --save` (weight decay wrongly on the biases shows here).
    const load = (file: string) =>
      new Map([...readSafetensors(file).tensors].map(([k, t]) => [k, t.data as Float32Array]));
    const torchFinal = load(join(dir, 'torch-final', 'model.safetensors'));
    const diff = compareParams(
      load(join(dir, 'out', 'checkpoints', 'final', 'model.safetensors')),
      torchFinal,
      load(join(model, 'model.safetensors')),
    );
    process.stdout.write(
      `${c.arch} CLI parity: max relative difference loss ${worstLoss.toExponential(2)}, grad_norm ${worstNorm.toExponential(2)}; ${diff.summary}\n`,
    );
    expect(worstLoss).toBeLessThan(1e-4);
    expect(worstNorm).toBeLessThan(GRAD_NORM_RTOL);
    expect(diff.names).toBe(torchFinal.size);
    expect(diff.failures).toEqual([]);
    // It trained (not a frozen match): the last 5-batch cycle's mean loss is below the first one's.
    const mean = (xs: RefStep[]) => xs.reduce((a, s) => a + s.loss, 0) / xs.length;
    expect(mean(ours.slice(-BATCHES))).toBeLessThan(mean(ours.slice(0, BATCHES)) - 0.005);
  },
);
