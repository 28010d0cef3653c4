// Training the tiny BERT through the bundled CLI on pre-tokenized batches, as the device tests do:
// the batches as train.jsonl (one row per example, file order), and `node dist/cli.js train` with
// the shared recipe (no validation/test split, no shuffle, dropout 0, clipping at 0.5), its per-step
// log read back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TINY_VOCAB, writeTinyModel } from '../models/tiny-model.js';
import { makeBatches, type JsonBatch } from '../parity/fixtures.js';

/** One JSONL row per example of `batches`, in order: every epoch replays them as they are. */
export function writePretokenizedJsonl(path: string, batches: JsonBatch[]): void {
  const rows = batches.flatMap((b) =>
    b.labels.map((label, i) =>
      JSON.stringify({
        input_ids: b.input_ids[i],
        attention_mask: b.attention_mask[i],
        token_type_ids: b.token_type_ids[i],
        label,
      }),
    ),
  );
  writeFileSync(path, rows.join('\n') + '\n');
}

/** The device tests' run: 5 learnable batches of 4 rows x 12 tokens an epoch. */
export const TINY_RUN = { stepsPerEpoch: 5, batch: 4, seq: 12 } as const;

/** A fresh temp dir holding the tiny model (`tiny/`, seed 3) and TINY_RUN's batches as train.jsonl. */
export function makeTinyCliRun(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeTinyModel(join(dir, 'tiny'), { files: ['config.json', 'model.safetensors'], seed: 3 });
  const batches = makeBatches({
    count: TINY_RUN.stepsPerEpoch,
    batch: TINY_RUN.batch,
    seq: TINY_RUN.seq,
    vocab: TINY_VOCAB.length,
    labels: 2,
    seed: 9,
    learnable: true,
  });
  writePretokenizedJsonl(join(dir, 'train.jsonl'), batches);
  return dir;
}

export interface LoggedStep {
  step: number;
  loss: number;
  grad_norm: number;
  loss_scale?: number;
  skipped?: boolean;
}

export interface CliTrainResult {
  status: number | null;
  steps: LoggedStep[];
  out: string;
  stderr: string;
}

/**
 * `textclf train` on `dir`/train.jsonl with the model in `dir`/tiny, written to `dir`/`name`;
 * `extra` adds flags (device, epochs, precision...). Steps are empty when the run failed.
 */
export function trainTinyCli(
  dir: string,
  name: string,
  o: { batch: number; maxLength: number; extra: string[] },
): CliTrainResult {
  const out = join(dir, name);
  const flags: Record<string, string> = {
    datastore: dir,
    train_file: 'train.jsonl',
    valid_file: '',
    test_file: '',
    model_name_or_path: join(dir, 'tiny'),
    shuffle: 'false',
    batch_size: String(o.batch),
    dropout: '0',
    learning_rate: '1e-3',
    weight_decay: '0.01',
    warmup_steps: '2',
    max_grad_norm: '0.5',
    max_length: String(o.maxLength),
    threads: '1',
    output_dir: out,
    log_file: join(out, 'steps.jsonl'),
  };
  const r = spawnSync(
    process.execPath,
    [resolve('dist/cli.js'), 'train', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]), ...o.extra],
    {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() },
    },
  );
  if (r.status !== 0) return { status: r.status, steps: [], out, stderr: r.stderr };
  const steps = readFileSync(join(out, 'steps.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LoggedStep);
  return { status: r.status, steps, out, stderr: r.stderr };
}
