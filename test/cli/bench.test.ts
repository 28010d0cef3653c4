// `textclf bench`: a model of a given shape trains on random tokens and reports samples/s and peak
// memory; every registered model type; flags checked; and it runs from the bundle alone (a folder
// with dist/cli.js and onnxruntime-node only: no dev dependencies, no tsx), as on a GPU machine.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCommand, formatBench, parseBenchArgs } from '../../src/cli/bench.js';
import { supportedModelTypes } from '../../src/models/registry.js';
import { runBench } from '../../src/train/bench.js';
import { lineLogger } from '../../src/util/logger.js';
import { testWebgpu } from '../helpers/webgpu.js';

const quiet = lineLogger(() => {});
const tiny = {
  layers: 1,
  hidden: 32,
  heads: 2,
  intermediate: 64,
  vocab: 120,
  seq: 16,
  batch: 4,
  warmup: 1,
  threads: 1,
  seed: 3,
};

test.each(supportedModelTypes())('%s: steps on random tokens, samples/s and peak memory', async (modelType) => {
  const r = await runBench({ ...tiny, modelType, device: 'cpu', steps: 3, stepsPerRun: 2, log: quiet });
  expect(r).toMatchObject({ modelType, device: 'cpu', stepsPerRun: 2, steps: 4, batch: 4, seq: 16 });
  expect(r.deviceReason).toContain('cpu');
  expect(r.parameters).toBeGreaterThan(120 * 32); // at least the word embeddings
  expect(r.samplesPerSecond).toBeGreaterThan(0);
  expect(r.samplesPerSecond).toBeCloseTo((r.steps * r.batch) / ((r.msPerStep * r.steps) / 1000), 6);
  expect(r.peakRssMiB).toBeGreaterThan(50);
  // On the CPU the whole state crosses host memory both ways in every run.
  expect(r).toMatchObject({ state: 'host', perRun: { runs: 2 } });
  expect(r.perRun.uploadBytes).toBeGreaterThan(r.stateBytes);
  expect(r.perRun.downloadBytes).toBeGreaterThan(r.stateBytes);
  expect(r.perRun.hostMs).toBeGreaterThan(0);
  expect(r.perRun.runMs).toBeGreaterThan(0);
});

test('--precision 16-mixed: the mixed-precision step, its skipped steps and loss scale reported', async () => {
  const r = await runBench({
    ...tiny,
    modelType: 'bert',
    device: 'cpu',
    steps: 2,
    stepsPerRun: 1,
    precision: '16-mixed',
    allowCpuMixedPrecision: true,
    log: quiet,
  });
  expect(r).toMatchObject({ precision: '16-mixed', steps: 2, skippedSteps: 0, lossScale: 2 ** 16 });
  expect(formatBench(r)).toContain('precision 16-mixed: 0 timed steps skipped by loss scaling, loss scale 65536');
  const plain = await runBench({ ...tiny, modelType: 'bert', device: 'cpu', steps: 1, stepsPerRun: 1, log: quiet });
  expect(plain.precision).toBe('32');
  expect(plain.skippedSteps).toBeUndefined();
  // The CPU device refuses it without the test option, naming the device and the fix.
  await expect(
    runBench({
      ...tiny,
      modelType: 'bert',
      device: 'cpu',
      steps: 1,
      stepsPerRun: 1,
      precision: '16-mixed',
      log: quiet,
    }),
  ).rejects.toThrow(/--precision 16-mixed is not supported on the CPU device/);
});

test("flags (the schema's, command bench): defaults are BERT-mini at seq 128, batch 16; bad values name the flag", () => {
  const d = parseBenchArgs([]);
  expect(d).toEqual({
    json: false,
    opts: {
      modelType: 'bert',
      device: 'auto',
      layers: 4,
      hidden: 256,
      heads: 4,
      intermediate: 1024,
      vocab: 30522,
      seq: 128,
      batch: 16,
      steps: 20,
      warmup: 3,
      stepsPerRun: 1, // bench's own default (training's is auto)
      threads: 0,
      seed: 42,
      precision: '32',
    },
  });
  expect(parseBenchArgs(['--layers=2', '--json', '--device', 'webgpu'])).toMatchObject({
    json: true,
    opts: { layers: 2, device: 'webgpu' },
  });
  expect(() => parseBenchArgs(['--layers', '0'])).toThrow("--layers: '0' is not valid; expected an integer >= 1");
  expect(() => parseBenchArgs(['--device', 'tpu'])).toThrow("--device: 'tpu' is not valid; expected auto, cpu, webgpu");
  expect(() => parseBenchArgs(['--steps_per_run', 'auto'])).toThrow('--steps_per_run auto is for training');
  expect(() => parseBenchArgs(['--batch_size', '4'])).toThrow('--batch_size is a flag of textclf train');
  expect(() => parseBenchArgs(['--hidden', '30', '--heads', '4'])).toThrow('not a multiple of --heads 4');
  expect(() => parseBenchArgs(['--model_type', 'gpt2'])).toThrow(/--model_type gpt2: supported are bert, /);
  expect(() => parseBenchArgs(['--speed', '3'])).toThrow('unknown flag --speed');
  expect(() => parseBenchArgs(['--steps'])).toThrow('missing value for --steps');
  expect(parseBenchArgs(['--precision', '16']).opts.precision).toBe('16-mixed');
  expect(parseBenchArgs(['--precision=bf16-mixed']).opts.precision).toBe('bf16-mixed');
  expect(() => parseBenchArgs(['--precision', '8'])).toThrow(
    "--precision: '8' is not valid; expected one of 32, 16-mixed, bf16-mixed (or 16, bf16, 32-true)",
  );
});

test('a usage error exits 2 with the usage; --json prints one JSON object', async () => {
  let out = '';
  expect(await benchCommand(['--batch', 'x'], quiet, (s) => (out += s))).toBe(2);
  expect(out).toContain("error: textclf bench: --batch: 'x' is not valid; expected an integer >= 1");
  expect(out).toContain('Usage: textclf bench');
  out = '';
  expect(await benchCommand(['--help'], quiet, (s) => (out += s))).toBe(0);
  // the help is generated from the schema, as every command's
  expect(out).toContain('Flags of textclf bench:');
  expect(out).toMatch(/--steps_per_run INT .*\(default: 1\)\n/);
  expect(out).toMatch(/--layers INT +Encoder layers \(default: 4\)\n/);
  expect(out).not.toContain('--batch_size');
  out = '';
  const args = [
    '--device',
    'cpu',
    '--layers',
    '1',
    '--hidden',
    '32',
    '--heads',
    '2',
    '--intermediate',
    '64',
    '--vocab',
    '120',
  ];
  expect(
    await benchCommand([...args, '--seq', '8', '--batch', '2', '--steps', '1', '--json'], quiet, (s) => (out += s)),
  ).toBe(0);
  expect(JSON.parse(out)).toMatchObject({ modelType: 'bert', device: 'cpu', steps: 1, batch: 2 });
});

testWebgpu(
  'node dist/cli.js bench --device webgpu --json runs from the bundle alone (onnxruntime-node, no dev dependencies), in float32 and 16-mixed',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'textclf-bundle-'));
    try {
      mkdirSync(join(dir, 'dist'));
      copyFileSync('dist/cli.js', join(dir, 'dist', 'cli.js'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
      mkdirSync(join(dir, 'node_modules'));
      const ortDir = realpathSync(join(process.cwd(), 'node_modules', 'onnxruntime-node'));
      symlinkSync(ortDir, join(dir, 'node_modules', 'onnxruntime-node'), 'dir');
      const commonDir = realpathSync(join(process.cwd(), 'node_modules', 'onnxruntime-common'));
      symlinkSync(commonDir, join(dir, 'node_modules', 'onnxruntime-common'), 'dir');
      const bench = (precision: string) =>
        execFileSync(
          process.execPath,
          [
            'dist/cli.js',
            'bench',
            '--precision',
            precision,
            '--device',
            'webgpu',
            '--layers',
            '1',
            '--hidden',
            '16',
            '--heads',
            '2',
            '--intermediate',
            '32',
            '--vocab',
            '60',
            '--seq',
            '8',
            '--batch',
            '2',
            '--steps',
            '1',
            '--warmup',
            '1',
            '--json',
          ],
          {
            cwd: dir,
            encoding: 'utf8',
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              NODE_PATH: '',
              XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir(),
            },
            timeout: 240_000,
          },
        );
      for (const precision of ['32', '16-mixed']) {
        const r = JSON.parse(bench(precision).trim().split('\n').pop()!);
        expect(r).toMatchObject({ device: 'webgpu', modelType: 'bert', steps: 1, precision });
        expect(r.samplesPerSecond).toBeGreaterThan(0);
        if (precision === '16-mixed') expect(r).toMatchObject({ skippedSteps: 0, lossScale: 2 ** 16 });
        // The state stayed on the device: the timed run uploaded its batch and scalars only.
        expect(r).toMatchObject({ state: 'device', perRun: { runs: 1 } });
        expect(r.stateBytes).toBeGreaterThan(10 * r.perRun.uploadBytes);
        expect(r.perRun.runMs).toBeGreaterThan(0);
        if (precision === '32') {
          // ids, mask, types (int64 [1,1,2,8]); labels; lr and step (float32 on webgpu); seq_len and step_index (int64)
          expect(r.perRun.uploadBytes).toBe(3 * 2 * 8 * 8 + 2 * 8 + 4 + 4 + 8 + 8);
          // one loss and one gradient norm come back
          expect(r.perRun.downloadBytes).toBe(8);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  300_000,
);
