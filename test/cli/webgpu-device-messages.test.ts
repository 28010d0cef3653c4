// What `textclf train` says about WebGPU on this machine's Vulkan (Mesa's lavapipe, no GPU), read
// from a real process's stderr (Dawn and the Vulkan loader write to the native stderr, which no JS
// spy sees): `auto` does not use a software adapter and says why; a missing Vulkan driver is told
// in words, not as the loader's warnings.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeTinyCliRun } from '../helpers/tiny-cli-train.js';
import { testWebgpu } from '../helpers/webgpu.js';

// The bundled command, as users run it (npm run build writes it; the e2e tests use it too).
const CLI = resolve('dist/cli.js');

function textclf(args: string[], env: NodeJS.ProcessEnv = {}, cli = CLI) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      NODE_PATH: '',
      XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
      ...env,
    },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Native lines Dawn or the Vulkan loader print ("Warning: maxDynamic...", "Warning: vkCreateInstance..."). */
const NATIVE = /^Warning: |loader_get_json|vkCreateInstance|artificially reduced/m;

let dir: string;
beforeAll(() => {
  dir = makeTinyCliRun('device-messages-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tinyRun = (name: string) => [
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
  '--max_epochs',
  '1',
  '--batch_size',
  '4',
  '--output_dir',
  join(dir, name),
];

testWebgpu(
  '--gpus 1 with only a software adapter (lavapipe): trains on the CPU, says why, and prints nothing of Dawn',
  () => {
    // The bundle alone, as the action stages it: onnxruntime-node, no optional `webgpu` package, so
    // the Vulkan checks (no GPU device node here) tell the adapter is software.
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'dist'), { recursive: true });
    copyFileSync(CLI, join(bundle, 'dist', 'cli.js'));
    writeFileSync(join(bundle, 'package.json'), '{"type":"module"}\n');
    mkdirSync(join(bundle, 'node_modules'));
    for (const m of ['onnxruntime-node', 'onnxruntime-common'])
      symlinkSync(realpathSync(join('node_modules', m)), join(bundle, 'node_modules', m), 'dir');
    const r = textclf(['train', ...tinyRun('gpus1'), '--gpus', '1'], {}, join(bundle, 'dist', 'cli.js'));
    expect(r.stderr).not.toMatch(NATIVE);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: device auto with gpus=1: CUDA cannot run \(nvidia-smi is not installed, so there is no NVIDIA driver on this machine\); WebGPU's only adapter is a software one \(this machine has no GPU device node for a Vulkan driver: \/dev\/dri\/renderD\*, \/dev\/nvidia\*\), which runs on the CPU about 100x slower than the CPU device: training on the CPU; --device webgpu would use that adapter anyway$/m,
    );
    const metrics = JSON.parse(readFileSync(join(dir, 'gpus1', 'metrics.json'), 'utf8')) as {
      run: { device: string; deviceReason: string };
    };
    expect(metrics.run.device).toBe('cpu');
    expect(metrics.run.deviceReason).toMatch(/WebGPU's only adapter is a software one/);
  },
);

test("--device webgpu with no Vulkan driver: the cause in words (the loader override, the missing file), not the loader's warnings", () => {
  const r = textclf(['train', ...tinyRun('novk'), '--device', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(NATIVE);
  expect(r.stderr).toMatch(
    /^error: device webgpu cannot run on this machine: ONNX Runtime's WebGPU EP found no GPU adapter: no Vulkan driver loads: \/nonexistent\/icd\.json \(the file does not exist\)\. What to do: a GPU's Vulkan driver .*mesa-vulkan-drivers/m,
  );
});
