// What `textclf train` says about a device this machine lacks, read from a real process's stderr
// (Dawn and the Vulkan loader write to the native stderr, which no JS spy sees): WebGPU is looked
// at for the error (in a child process), so none of their warnings appear; the fallback flag is
// spelled as the CLI takes it.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The bundled command, as users run it (npm run build writes it; the e2e tests use it too).
const CLI = resolve('dist/cli.js');

/** Native lines Dawn or the Vulkan loader print ("Warning: maxDynamic...", "Warning: vkCreateInstance..."). */
const NATIVE = /^Warning: |loader_get_json|vkCreateInstance|artificially reduced/m;

test('--device cuda on a machine without it: the reason and the CLI flag, and no Dawn warnings although WebGPU was looked at', () => {
  const r = spawnSync(process.execPath, [CLI, 'train', '--device', 'cuda', '--train_file', '/nonexistent/train.csv'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: '', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(NATIVE);
  expect(r.stderr).toMatch(/^error: device cuda:0 cannot run on this machine: nvidia-smi is not installed/m);
  expect(r.stderr).toContain('Or pass --allow_cpu_fallback true to train on the CPU with a warning.');
  expect(r.stderr).not.toContain('allow_cpu_fallback: true');
});
