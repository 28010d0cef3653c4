// Nothing lost (issue 21): --overwrite_output_dir touches the previous run only when training is
// about to start, and then only moves it aside until the new run's first checkpoint; a run that
// fails before one puts it back, and leaves nothing of its own that blocks a rerun. Bad output
// paths fail before any work, naming the flag and the fix.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseFlags } from '../../src/config/parse.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { PREVIOUS } from '../../src/train/output-dir.js';
import { runTraining } from '../../src/train/run.js';
import { captureStream, demoWorkspace } from '../helpers/demo-workspace.js';
import { lineLogger } from '../../src/util/logger.js';

let root: string, model: string, data: string;
const stderr = captureStream('stderr');

beforeAll(async () => {
  ({ root, model, data } = await demoWorkspace('textclf-outdir-', 5, { train: 64, valid: 32, test: 32 }));
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const args = (out: string, extra: string[] = []) => [
  ...['--datastore', data, '--model_name_or_path', model, '--output_dir', out, '--cache_dir', join(root, 'cache')],
  ...['--batch_size', '32', '--max_length', '32', '--threads', '1', '--max_epochs', '1', ...extra],
];
/** Every file under `dir` with a hash of its content: a run is "untouched" when this is equal. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const p = join(f.parentPath, f.name);
    out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}
const metricsOf = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;

const flagsOf = (argv: string[]) => {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) raw[argv[i].slice(2)] = argv[i + 1];
  return parseFlags(raw, 'cli');
};
/** A finished run of 2 epochs in `out`. */
async function previousRun(out: string): Promise<Record<string, string>> {
  expect(await main(['train', ...args(out, ['--max_epochs', '2', '--limit_train_batches', '1'])])).toBe(0);
  return snapshot(out);
}

test('the overwrite repro: a bad datastore (or model) with --overwrite_output_dir leaves the previous run untouched', async () => {
  const out = join(root, 'a');
  const before = await previousRun(out);
  expect(Object.keys(before)).toEqual(expect.arrayContaining(['metrics.json', 'checkpoints/final/model.safetensors']));
  const bad = [
    ['--datastore', join(root, 'nonexistent')],
    ['--model_name_or_path', join(root, 'no-model')],
  ];
  for (const extra of bad) {
    stderr.length = 0;
    expect(await main(['train', ...args(out, ['--overwrite_output_dir', ...extra])])).toBe(1);
    expect(stderr.join('')).toMatch(
      /error: .*(datastore path .*nonexistent does not exist|no-model' is not a directory)/,
    );
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(out, PREVIOUS))).toBe(false);
  }
  // A fresh output dir is not even created (no empty checkpoints/ to trip over later).
  const never = join(root, 'never');
  expect(await main(['train', ...args(never, bad[0])])).toBe(1);
  expect(existsSync(never)).toBe(false);
}, 120_000);

test('while the new run has no checkpoint the previous run waits aside; the first checkpoint removes it', async () => {
  const out = join(root, 'aside');
  const before = await previousRun(out);
  const seen: { previous: string[]; metrics: boolean }[] = [];
  const flags = flagsOf(args(out, ['--overwrite_output_dir', 'true', '--limit_train_batches', '1']));
  await runTraining(flags, {
    log: lineLogger(() => {}),
    onEvent: (e) => {
      if (e.type === 'step')
        seen.push({
          previous: Object.keys(snapshot(join(out, PREVIOUS))),
          metrics: existsSync(join(out, 'metrics.json')),
        });
    },
  });
  expect(seen).toHaveLength(1);
  expect(seen[0].metrics).toBe(false); // the previous run's results are not mixed with the new run's
  expect(seen[0].previous.sort()).toEqual(Object.keys(before).sort()); // all of it, aside
  expect(existsSync(join(out, PREVIOUS))).toBe(false);
  expect(metricsOf(out).epochs).toHaveLength(1);
  expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['epoch-1', 'final']);
}, 120_000);

const failingStep = () => {
  throw new Error('boom: the step failed');
};

test('a run that fails before its first checkpoint puts the previous run back and leaves nothing of its own', async () => {
  const out = join(root, 'fail-overwrite');
  const before = await previousRun(out);
  const flags = flagsOf(args(out, ['--overwrite_output_dir', 'true', '--limit_train_batches', '1']));
  await expect(runTraining(flags, { log: lineLogger(() => {}), onEvent: failingStep })).rejects.toThrow('boom');
  expect(snapshot(out)).toEqual(before);
  expect(existsSync(join(out, PREVIOUS))).toBe(false);

  // A fresh output dir: no empty checkpoints/, no metrics.jsonl; a rerun without any flag works.
  const fresh = join(root, 'fail-fresh');
  await expect(
    runTraining(flagsOf(args(fresh, ['--limit_train_batches', '1'])), {
      log: lineLogger(() => {}),
      onEvent: failingStep,
    }),
  ).rejects.toThrow('boom');
  expect(readdirSync(fresh)).toEqual([]);
  expect(await main(['train', ...args(fresh, ['--limit_train_batches', '1'])])).toBe(0);
}, 120_000);

test('a run killed while replacing another (previous run still aside) gets the previous run back next time', async () => {
  const out = join(root, 'killed');
  const before = await previousRun(out);
  // What a SIGKILL after the move aside leaves: the previous run in PREVIOUS, the new run's first steps.
  mkdirSync(join(out, PREVIOUS));
  for (const e of readdirSync(out).filter((e) => e !== PREVIOUS)) renameSync(join(out, e), join(out, PREVIOUS, e));
  mkdirSync(join(out, 'checkpoints'));
  writeFileSync(join(out, 'metrics.jsonl'), '{"type":"step","step":0}\n');
  expect(await main(['train', ...args(out, ['--limit_train_batches', '1'])])).toBe(1);
  expect(stderr.join('')).toMatch(
    /notice: output_dir: a run that was replacing .* stopped before its first checkpoint; the previous run is back/,
  );
  expect(stderr.join('')).toMatch(
    /holds another run \(metrics\.json, metrics\.jsonl, report\.md, checkpoints, tensorboard\)/,
  );
  expect(snapshot(out)).toEqual(before);
}, 120_000);

test('what a run that saved no checkpoint left (an empty or partial metrics.jsonl) does not block the next run', async () => {
  const out = join(root, 'leftovers');
  mkdirSync(join(out, 'checkpoints'), { recursive: true });
  writeFileSync(join(out, 'metrics.jsonl'), '{"type":"step","step":0}\n');
  expect(await main(['train', ...args(out, ['--limit_train_batches', '1'])])).toBe(0);
  expect(stderr.join('')).toMatch(/notice: output_dir: removed metrics\.jsonl, left by a run that saved no checkpoint/);
  expect(metricsOf(out).epochs).toHaveLength(1);
}, 120_000);

test('bad output paths fail before any work, naming the flag and the fix', async () => {
  const dir = join(root, 'a-dir');
  mkdirSync(dir, { recursive: true });
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string[], string][] = [
    [
      ['--log_file', dir],
      `error: --log_file ${dir} is a folder, not a file. Fix: name a file, e.g. --log_file ${join(dir, 'steps.jsonl')}.`,
    ],
    [
      ['--predictions_file', dir],
      `error: --predictions_file ${dir} is a folder, not a file. Fix: name a file, e.g. --predictions_file ${join(dir, 'predictions.csv')}.`,
    ],
    [['--cache_dir', file], `error: --cache_dir ${file} is a file, not a folder.`],
    [
      ['--log_file', join(file, 'x.jsonl')],
      `error: --log_file ${join(file, 'x.jsonl')}: its folder ${file} is a file, not a folder.`,
    ],
  ];
  for (const [extra, message] of cases) {
    stderr.length = 0;
    const out = join(root, 'paths');
    expect(await main(['train', ...args(out, extra)])).toBe(1);
    const err = stderr.join('');
    expect(err).toContain(message);
    expect(err).not.toMatch(/EISDIR|ENOTDIR|== Datastore/); // nothing ran
    expect(existsSync(out)).toBe(false);
  }
}, 60_000);
