// `textclf provision`: fills a tool-cache directory with onnxruntime-node and the CUDA provider
// build the GPUs need, then a runner with neither registry nor NuGet access finds everything there.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import { provisionCommand } from '../../src/cli/provision.js';
import { parseGpuCsv } from '../../src/runtime/nvidia-smi.js';
import { resolveOrt, TOOL_CUDA } from '../../src/runtime/provision.js';
import { lineLogger } from '../../src/util/logger.js';
import { startNpmRegistry, type LocalRegistry } from '../helpers/npm-registry.js';
import {
  FEEDS,
  GPU_PACKAGE,
  providerLibraries,
  providerNupkg,
  sha512,
  startNugetServer,
  type NugetServer,
} from '../helpers/nuget-source.js';
import { tinyOrtPackages } from '../helpers/tiny-ort-package.js';

const V100 = 'Tesla V100-SXM2-16GB, 7.0, 535.104.05, 16384 MiB';
const CLOSED = 'http://127.0.0.1:9/';
let work: string, nuget: NugetServer, registry: LocalRegistry;
const lines: string[] = [];
const log = lineLogger((l) => lines.push(l));
const cuda12 = providerNupkg('1.30.0', providerLibraries(12));

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'textclf-provision-'));
  nuget = await startNugetServer({
    [FEEDS.nuget]: { packages: [providerNupkg('1.30.0', providerLibraries(13))] },
    [FEEDS.nightly]: { packages: [] },
    [FEEDS.cuda12]: { packages: [cuda12] },
  });
  registry = await startNpmRegistry(
    await tinyOrtPackages(work, '1.30.0', {
      nugetIndex: nuget.index(FEEDS.nuget),
      nightlyIndex: nuget.index(FEEDS.nightly),
    }),
  );
});
afterAll(async () => {
  await Promise.all([nuget?.close(), registry?.close()]);
  rmSync(work, { recursive: true, force: true });
});

async function provision(raw: Record<string, string>, smi: string[] | string) {
  let out = '';
  const code = await provisionCommand(raw, log, {
    nvidiaSmi: async () => (typeof smi === 'string' ? { error: smi } : { gpus: parseGpuCsv(smi.join('\n')) }),
    installDir: join(work, 'no-install'), // textclf installed without onnxruntime-node: use the registry
    out: (s) => (out += s),
  });
  return { code, out };
}

test('on a V100 host: the CUDA 12 build into --dir; the printed recipe; then an offline runner resolves from it', async () => {
  const dir = join(work, 'toolcache-v100');
  const r = await provision({ dir, npm_registry: registry.url }, [V100]);
  expect(r.code).toBe(0);
  const entry = join(dir, TOOL_CUDA[12], '1.30.0', 'x64');
  const bin = join(entry, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
  expect(r.out).toContain(
    `  onnxruntime-node-cuda12/1.30.0/x64/  onnxruntime-node 1.30.0 with the CUDA 12 provider (${GPU_PACKAGE} from ${nuget.index(FEEDS.cuda12)}, ${cuda12.nupkg.length} bytes, SHA-512 ${sha512(cuda12.nupkg)})`,
  );
  expect(r.out).toContain(
    '      why: Tesla V100-SXM2-16GB (compute capability 7.0, driver 535.104.05) needs the CUDA 12 build',
  );
  expect(r.out).toContain(`  rsync -a ${dir}/ <runner>/_work/_tool/`);
  expect(r.out).toContain(
    `  cp ${join(bin, 'libonnxruntime_providers_shared.so')} ${join(bin, 'libonnxruntime_providers_cuda.so')} ${join(bin, 'textclf-cuda-provider.json')} node_modules/onnxruntime-node/bin/napi-v6/linux/x64/`,
  );
  // One entry: the CUDA-enabled copy also serves CPU and WebGPU runs.
  expect(readdirSync(dir).sort()).toEqual([TOOL_CUDA[12]]);
  expect(readdirSync(join(dir, TOOL_CUDA[12], '1.30.0')).sort()).toEqual(['x64', 'x64.complete']);

  // The runner: no registry, no NuGet.
  const cudaRun = await resolveOrt({
    log,
    registry: CLOSED,
    toolCache: dir,
    platform: 'linux',
    arch: 'x64',
    cuda: { build: 'auto', gpus: parseGpuCsv(V100), providerUrl: `${CLOSED}v3/index.json` },
  });
  expect(cudaRun).toMatchObject({ source: 'tool-cache', cuda: true, provider: { build: 12 } });
  const cpuRun = await resolveOrt({ log, registry: CLOSED, toolCache: dir, platform: 'linux', arch: 'x64' });
  expect(cpuRun.dir).toBe(cudaRun.dir);
});

test('on a host without an NVIDIA GPU: auto fetches no CUDA provider and says how to get one; --cuda_build 13 does', async () => {
  const dir = join(work, 'toolcache-cpu');
  const cpu = await provision({ dir, npm_registry: registry.url }, 'nvidia-smi is not installed');
  expect(cpu.code).toBe(0);
  expect(readdirSync(dir)).toEqual(['onnxruntime-node']);
  expect(cpu.out).toContain('  onnxruntime-node/1.30.0/x64/  onnxruntime-node 1.30.0 (CPU and WebGPU)');
  expect(cpu.out).toContain(
    'No CUDA provider was fetched (no NVIDIA GPU here): for a GPU runner pass --cuda_build 12 (V100, or a driver older than 580.65.06) or --cuda_build 13.',
  );

  const gpu = await provision({ dir, npm_registry: registry.url, cuda_build: '13' }, 'nvidia-smi is not installed');
  expect(gpu.code).toBe(0);
  expect(readdirSync(dir).sort()).toEqual(['onnxruntime-node', TOOL_CUDA[13]]);
  expect(gpu.out).toContain(`with the CUDA 13 provider (${GPU_PACKAGE} from ${nuget.index(FEEDS.nuget)}`);
  expect(gpu.out).toContain(
    '      why: The CUDA 13 build, as cuda_build 13 asks; no NVIDIA GPU is visible (nvidia-smi is not installed).',
  );
});

test("textclf provision copies textclf's own onnxruntime-node without any network; --dir is required outside a runner", async () => {
  const dir = join(work, 'toolcache-own');
  const saved = process.env.RUNNER_TOOL_CACHE;
  delete process.env.RUNNER_TOOL_CACHE;
  const stdout: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  try {
    // This machine has no NVIDIA GPU: auto provisions the CPU package only, from textclf's own install.
    expect(await main(['provision', '--dir', dir, '--npm_registry', CLOSED])).toBe(0);
    const pkg = join(dir, 'onnxruntime-node', '1.30.0', process.arch, 'node_modules', 'onnxruntime-node');
    expect(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version).toBe('1.30.0');
    expect(existsSync(join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'))).toBe(
      true,
    );
    expect(readdirSync(join(pkg, 'bin', 'napi-v6'))).toEqual([process.platform]); // one platform's binaries
    expect(stdout.join('')).toMatch(/onnxruntime-node 1\.30\.0: copied from .*node_modules\/onnxruntime-node/);

    stdout.length = 0;
    expect(await main(['provision'])).toBe(1);
    expect(stdout.join('')).toContain(
      'error: --dir is required (the tool-cache directory to fill) unless RUNNER_TOOL_CACHE is set',
    );
  } finally {
    out.mockRestore();
    err.mockRestore();
    if (saved !== undefined) process.env.RUNNER_TOOL_CACHE = saved;
  }
});
