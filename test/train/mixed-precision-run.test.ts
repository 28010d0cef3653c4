// runTraining with --precision 16-mixed on the CPU device (allowed by a test-only option; the
// graphs are those a GPU runs): forced overflow from an initial loss scale of 2^40 skips the first
// steps and says so in steps.jsonl, metrics.json and the report; checkpoints hold float32 weights
// and the scaler state, and a run cancelled mid-way resumes with its scale to the weights of the
// run that never stopped. The CPU device without the option refuses, naming the flag.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/config/parse.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { lineLogger } from '../../src/util/logger.js';
import { runTraining } from '../../src/train/run.js';

/** The bytes of a typed array (its own range, not the whole buffer it views). */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const quiet = lineLogger(() => {});
let root: string;
let base: Record<string, string>;
const mixed = { allowCpu: true };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-mixed-'));
  base = {
    ...(await prepareDemo(join(root, 'demo'), 42)),
    max_epochs: '2',
    batch_size: '16',
    limit_train_batches: '20',
    learning_rate: '0.001',
    warmup_steps: '2',
    weight_decay: '0.01',
    max_length: '32',
    dropout: '0',
    seed: '3',
    precision: '16',
    init_loss_scale: String(2 ** 40), // forced overflow
    test_on: 'last', // checkpoints/final = the last step's weights and scaler
    // One step per ORT run in both the whole and the cut run, so they agree bit for bit (K steps
    // per run equal single steps bit for bit: test/engine/mixed-precision.test.ts).
    steps_per_run: '1',
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The scaler after the first `n` steps as dynamic loss scaling defines it from 2^40: a skipped
 * (overflowed) step halves the scale and restarts the growth tracker; a finite one counts (growth
 * after 2000 finite steps, never reached here).
 */
function scalerAfter(steps: { skipped?: boolean }[], n: number) {
  let scale = 2 ** 40,
    growthTracker = 0,
    skipped = 0;
  for (const s of steps.slice(0, n)) {
    if (s.skipped) {
      scale /= 2;
      growthTracker = 0;
      skipped++;
    } else growthTracker++;
  }
  return { scale, growthTracker, skipped };
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('forced overflow: the first steps are skipped and reported, the scale comes down, training proceeds; checkpoints hold float32 weights and the scaler', async () => {
  const out = join(root, 'full');
  const flags = parseFlags({ ...base, output_dir: out, log_file: join(out, 'steps.jsonl') }, 'cli');
  expect(flags.precision).toBe('16-mixed'); // Lightning 1.x's spelling
  const r = await runTraining(flags, { log: quiet, mixedPrecision: mixed });
  const steps = lines(join(out, 'steps.jsonl'));
  expect(steps).toHaveLength(40);
  // The forced overflow: a streak of skipped steps from the start, the scale halving each time.
  const streak = steps.findIndex((s) => !s.skipped);
  expect(streak).toBeGreaterThanOrEqual(5);
  expect(steps.slice(0, streak + 1).map((s) => s.loss_scale)).toEqual(
    Array.from({ length: streak + 1 }, (_, k) => 2 ** (40 - k)),
  );
  // Every step ran at the scale its predecessors left (an overflow later on halves it again).
  expect(steps.map((s) => s.loss_scale)).toEqual(steps.map((_, i) => scalerAfter(steps, i).scale));
  const { skipped, scale } = scalerAfter(steps, 40);
  expect(skipped).toBeLessThan(20);
  // Training proceeded: the skipped steps all saw the initial weights (one loss per batch; the
  // demo batches repeat each epoch), the later ones did not.
  const epoch2 = steps.slice(20);
  expect(epoch2.every((s, i) => s.loss !== steps[i].loss)).toBe(true);
  expect(r.metrics.run.mixedPrecision).toEqual({
    precision: '16-mixed',
    skippedSteps: skipped,
    lossScale: scale,
  });
  const report = readFileSync(r.reportPath, 'utf8');
  expect(report).toContain(
    `16-mixed: ${skipped} steps skipped by loss scaling (non-finite gradients), final loss scale ${scale}`,
  );
  const final = join(out, 'checkpoints', 'final');
  const weights = readSafetensors(join(final, 'model.safetensors')).tensors;
  expect(new Set([...weights.values()].map((t) => t.dtype))).toEqual(new Set(['float32']));
  const state = JSON.parse(readFileSync(join(final, 'trainer_state.json'), 'utf8'));
  expect(state.scaler).toEqual(scalerAfter(steps, 40));
}, 240_000);

test('a run cancelled mid-way resumes with its loss scale to the weights of the run that never stopped', async () => {
  const cut = join(root, 'cut');
  const controller = new AbortController();
  const r1 = await runTraining(parseFlags({ ...base, output_dir: cut }, 'cli'), {
    log: quiet,
    signal: controller.signal,
    mixedPrecision: mixed,
    onEvent: (e) => {
      if (e.type === 'step' && e.step === 30) controller.abort();
    },
  });
  expect(r1.metrics.run.cancelled).toBe(true);
  const state = JSON.parse(readFileSync(join(r1.checkpointDir, 'trainer_state.json'), 'utf8'));
  const fullSteps = lines(join(root, 'full', 'steps.jsonl'));
  const skipped = fullSteps.filter((s) => s.skipped).length;
  expect(state).toMatchObject({ step: 30, scaler: scalerAfter(fullSteps, 30) });

  // Resumed with the same flags (init_loss_scale 2^40): the checkpoint's scale is what it continues with.
  const resumed = join(root, 'resumed');
  const r2 = await runTraining(
    parseFlags(
      { ...base, output_dir: resumed, resume_from: r1.checkpointDir, log_file: join(resumed, 'steps.jsonl') },
      'cli',
    ),
    { log: quiet, mixedPrecision: { allowCpu: true } },
  );
  const after = lines(join(resumed, 'steps.jsonl'));
  expect(after.map((s) => s.step)).toEqual(Array.from({ length: 10 }, (_, i) => i + 31));
  expect(after.map((s) => s.loss_scale)).toEqual(fullSteps.slice(30).map((s) => s.loss_scale));
  expect(after.map((s) => s.loss)).toEqual(fullSteps.slice(30).map((s) => s.loss));
  expect(r2.metrics.run.mixedPrecision?.skippedSteps).toBe(skipped);
  const a = readSafetensors(join(root, 'full', 'checkpoints', 'final', 'model.safetensors')).tensors;
  const b = readSafetensors(join(r2.checkpointDir, 'model.safetensors')).tensors;
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, t] of a) expect([name, bytes(b.get(name)!.data).equals(bytes(t.data))]).toEqual([name, true]);
}, 240_000);

test("checkpoints/final from the best epoch (test_on best) carries that epoch's scaler", async () => {
  const out = join(root, 'best');
  const r = await runTraining(parseFlags({ ...base, output_dir: out, test_on: 'best', monitor: 'val_loss' }, 'cli'), {
    log: quiet,
    mixedPrecision: mixed,
  });
  const state = (d: string) => JSON.parse(readFileSync(join(d, 'trainer_state.json'), 'utf8'));
  const final = state(join(out, 'checkpoints', 'final'));
  const from = state(join(out, 'checkpoints', `epoch-${r.metrics.finalEpoch}`));
  expect(final.step).toBe(from.step);
  expect(final.scaler).toEqual(from.scaler);
  // This run's best epoch is not its last (otherwise the test would not tell).
  expect(r.metrics.finalEpoch).toBe(1);
  // metrics.json counts the whole run's skipped steps, not the best epoch's scaler.
  expect(r.metrics.run.mixedPrecision?.lossScale).toBe(state(join(out, 'checkpoints', 'epoch-2')).scaler.scale);
}, 240_000);

test('--precision 16-mixed on the CPU device without the test option fails before any data is read, naming the flag', async () => {
  await expect(
    runTraining(parseFlags({ ...base, output_dir: join(root, 'refused'), precision: '16-mixed' }, 'cli'), {
      log: quiet,
    }),
  ).rejects.toThrow(/--precision 16-mixed is not supported on the CPU device/);
  await expect(
    runTraining(parseFlags({ ...base, output_dir: join(root, 'refused2'), precision: 'bf16' }, 'cli'), {
      log: quiet,
      mixedPrecision: { allowCpu: true },
    }),
  ).rejects.toThrow(/--precision bf16-mixed is not supported on the CPU device/);
  expect(() => parseFlags({ ...base, precision: '8' }, 'cli')).toThrow(
    /--precision: '8' is not valid; expected one of 32, 16-mixed, bf16-mixed \(or 16, bf16, 32-true\)/,
  );
});
