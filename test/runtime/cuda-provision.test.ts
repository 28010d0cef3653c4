// The CUDA provider build per GPU and driver, fetched from NuGet v3 sources on 127.0.0.1 (a
// "default" source serving the CUDA 13 build, ORT's onnxruntime-cuda-12 feed beside the nightly
// feed the install metadata names), verified (hash, ELF, CUDA major, fatbin) and cached under the
// ORT version and the CUDA major. onnxruntime-node itself comes from a local npm registry serving
// small stand-in packages that carry the real install metadata with the feeds pointed here.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseCudaBuild } from '../../src/runtime/cuda-build.js';
import { readProviderManifest, type ProviderManifest } from '../../src/runtime/cuda-provider-fetch.js';
import { CUDA12_FEED, providerPackageInfo } from '../../src/runtime/cuda-source.js';
import type { LoaderEnv } from '../../src/runtime/ld-resolve.js';
import { RegistryError } from '../../src/runtime/npm-fetch.js';
import { parseGpuCsv, type NvidiaGpu } from '../../src/runtime/nvidia-smi.js';
import {
  binDir,
  CudaProvisionError,
  resolveOrt,
  TOOL_CPU,
  TOOL_CUDA,
  type CudaRequest,
  type ResolveOptions,
} from '../../src/runtime/provision.js';
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
import { installedMetadata, tinyOrtPackages } from '../helpers/tiny-ort-package.js';

const gpu = (line: string): NvidiaGpu => parseGpuCsv(line)[0]!;
const V100_535 = gpu('Tesla V100-SXM2-16GB, 7.0, 535.104.05, 16384 MiB');
const V100_580 = gpu('Tesla V100-SXM2-16GB, 7.0, 580.65.06, 16384 MiB');
const A100_550 = gpu('NVIDIA A100-SXM4-40GB, 8.0, 550.54.15, 40960 MiB');
const H100_580 = gpu('NVIDIA H100 80GB HBM3, 9.0, 580.65.06, 81559 MiB');
const T4_570 = gpu('Tesla T4, 7.5, 570.86.15, 15360 MiB');
const T4_580 = gpu('Tesla T4, 7.5, 580.65.06, 15360 MiB');
const L4_580 = gpu('NVIDIA L4, 8.9, 580.82.07, 23034 MiB');

describe('cuda_build auto: the CUDA 12 build for compute capability < 7.5 or a driver older than 580.65.06', () => {
  test.each([
    [
      V100_535,
      12,
      /its compute capability 7\.0 is below 7\.5, .*, and its driver 535\.104\.05 is older than 580\.65\.06/,
    ],
    [
      V100_580,
      12,
      /^Tesla V100-SXM2-16GB \(compute capability 7\.0, driver 580\.65\.06\) needs the CUDA 12 build: its compute capability 7\.0 is below 7\.5, the lowest CUDA 13 compiles kernels for\.$/,
    ],
    [
      A100_550,
      12,
      /needs the CUDA 12 build: its driver 550\.54\.15 is older than 580\.65\.06, the oldest that runs CUDA 13\.$/,
    ],
    [T4_570, 12, /driver 570\.86\.15 is older than 580\.65\.06/],
    [T4_580, 13, /^Tesla T4 \(compute capability 7\.5, driver 580\.65\.06\) takes the CUDA 13 build/],
    [H100_580, 13, /^NVIDIA H100 80GB HBM3 \(compute capability 9\.0, driver 580\.65\.06\) takes the CUDA 13 build/],
    [L4_580, 13, /takes the CUDA 13 build/],
  ])('%o -> %i', (g, build, reason) => {
    const c = chooseCudaBuild('auto', [g]);
    expect(c.build).toBe(build);
    expect(c.reason).toMatch(reason);
    expect(c.warning).toBeUndefined();
  });

  test('one V100 among the GPUs decides for all; explicit builds are kept, 13 on a V100 with a warning', () => {
    const mixed = chooseCudaBuild('auto', [H100_580, V100_580]);
    expect(mixed.build).toBe(12);
    expect(mixed.reason).toMatch(/need the CUDA 12 build: Tesla V100-SXM2-16GB's compute capability 7\.0/);
    expect(chooseCudaBuild('12', [H100_580])).toEqual({
      build: 12,
      reason:
        'The CUDA 12 build, as cuda_build 12 asks; NVIDIA H100 80GB HBM3 (compute capability 9.0, driver 580.65.06).',
    });
    const forced = chooseCudaBuild('13', [V100_580]);
    expect(forced.build).toBe(13);
    expect(forced.warning).toMatch(/^cuda_build 13 was requested, but Tesla V100-SXM2-16GB needs the CUDA 12 build/);
    const none = chooseCudaBuild('auto', [], 'nvidia-smi is not installed');
    expect(none.build).toBeUndefined();
    expect(none.reason).toMatch(
      /^No CUDA provider build is needed: no NVIDIA GPU is visible \(nvidia-smi is not installed\)/,
    );
  });
});

test("the default sources come from onnxruntime-node's own install metadata", () => {
  const real = installedMetadata().feeds;
  const info = providerPackageInfo(
    join(new URL('../..', import.meta.url).pathname, 'node_modules', 'onnxruntime-node'),
  );
  expect(info.id).toBe(GPU_PACKAGE);
  expect(info.defaultIndex).toBe(real.nuget.index);
  // ORT's CUDA 12 feed lives beside the nightly feed in the same Azure Artifacts organisation.
  const nightly = new URL(real.nuget_nightly.index);
  expect(new URL(info.cuda12Index!).origin).toBe(nightly.origin);
  expect(info.cuda12Index).toBe(
    real.nuget_nightly.index.replace(/\/_packaging\/[^/]+\//, `/_packaging/${CUDA12_FEED}/`),
  );
  expect(info.paths).toEqual({
    'libonnxruntime_providers_shared.so': 'runtimes/linux-x64/native/libonnxruntime_providers_shared.so',
    'libonnxruntime_providers_cuda.so': 'runtimes/linux-x64/native/libonnxruntime_providers_cuda.so',
  });
});

describe('provisioning the CUDA provider into the tool cache', () => {
  const VERSION = '1.30.0';
  let work: string, cache: string, nuget: NugetServer, registry: LocalRegistry;
  const lines: string[] = [];
  const log = lineLogger((l) => lines.push(l));
  /** A loader that finds nothing: this machine has no CUDA libraries. */
  const bareLoader: LoaderEnv = { cache: new Map(), systemDirs: [], exists: () => false };
  const pkgs = {
    nuget13: providerNupkg(VERSION, providerLibraries(13)),
    cuda12: providerNupkg(VERSION, providerLibraries(12)),
    cuda12old: providerNupkg('1.28.0', providerLibraries(12)),
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cuda-provision-'));
    nuget = await startNugetServer({
      [FEEDS.nuget]: { packages: [pkgs.nuget13] },
      [FEEDS.nightly]: { packages: [] },
      [FEEDS.cuda12]: { packages: [pkgs.cuda12old, pkgs.cuda12] },
      fallback12: { packages: [] },
      mirror: { packages: [pkgs.cuda12], hashes: false },
      broken: { packages: [] },
    });
    const feeds = { nugetIndex: nuget.index(FEEDS.nuget), nightlyIndex: nuget.index(FEEDS.nightly) };
    registry = await startNpmRegistry([
      ...(await tinyOrtPackages(work, '1.28.0', feeds)),
      ...(await tinyOrtPackages(work, VERSION, feeds)),
    ]);
  });
  afterAll(async () => {
    await Promise.all([nuget?.close(), registry?.close()]);
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    cache = mkdtempSync(join(work, 'toolcache-'));
    lines.length = 0;
    nuget.requests.length = 0;
    registry.requests.length = 0;
  });

  const opts = (cuda: Partial<CudaRequest> & { gpus: NvidiaGpu[] }, extra: Partial<ResolveOptions> = {}) => ({
    log,
    actionDir: join(work, 'no-action'),
    registry: registry.url,
    toolCache: cache,
    platform: 'linux',
    arch: 'x64',
    cuda: { build: 'auto' as const, loader: bareLoader, ...cuda },
    ...extra,
  });
  const entry = (tool: string, v = VERSION) => join(cache, tool, v, 'x64');
  const manifestOf = (dir: string) => readProviderManifest(binDir(dir, 'linux', 'x64')) as ProviderManifest;
  /** Everything under the tool cache (2 levels), to show nothing half-made was left. */
  /** Everything in the tool cache down to <tool>/<version>/<arch> and its marker, sorted. */
  const listing = (): string[] => {
    const walk = (rel: string, depth: number): string[] =>
      readdirSync(join(cache, rel), { withFileTypes: true }).flatMap((e) => {
        const p = rel ? `${rel}/${e.name}` : e.name;
        return depth < 2 && e.isDirectory() ? walk(p, depth + 1) : [p];
      });
    return existsSync(cache) ? walk('', 0).sort() : [];
  };

  test('H100 on driver 580: the CUDA 13 build from the default source, verified against its packageHash, cached as onnxruntime-node-cuda13/1.30.0', async () => {
    const rt = await resolveOrt(opts({ gpus: [H100_580] }));
    expect(rt).toMatchObject({ source: 'provisioned', version: VERSION, cuda: true });
    expect(rt.dir).toBe(join(entry(TOOL_CUDA[13]), 'node_modules', 'onnxruntime-node'));
    expect(existsSync(`${entry(TOOL_CUDA[13])}.complete`)).toBe(true);
    const bin = binDir(rt.dir, 'linux', 'x64');
    const libs = providerLibraries(13);
    for (const lib of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'])
      expect(readFileSync(join(bin, lib))).toEqual(libs[lib as keyof typeof libs]);
    expect(existsSync(join(bin, 'libonnxruntime_providers_tensorrt.so'))).toBe(false); // only what CUDA needs
    expect(existsSync(join(rt.dir, 'bin', 'napi-v6', 'darwin'))).toBe(false); // other platforms pruned
    const m = manifestOf(rt.dir);
    expect(m).toMatchObject({
      build: 13,
      version: VERSION,
      source: { kind: 'nuget', index: nuget.index(FEEDS.nuget), id: GPU_PACKAGE },
      nupkg: {
        url: `${nuget.url}/nuget/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg`,
        size: pkgs.nuget13.nupkg.length,
        sha512: sha512(pkgs.nuget13.nupkg),
        sourceHash: 'matched',
      },
      cudaMajor: 13,
      architectures: ['sm_75', 'sm_80', 'sm_86', 'sm_89', 'sm_90a', 'sm_120a'],
    });
    expect(m.reason).toMatch(
      /^NVIDIA H100 80GB HBM3 \(compute capability 9\.0, driver 580\.65\.06\) takes the CUDA 13 build/,
    );
    expect(m.missingOnRunner).toEqual(expect.arrayContaining(['libcudart.so.13', 'libcublas.so.13', 'libcuda.so.1']));
    expect(rt.provider).toEqual(m);
    // The NuGet protocol, in order: index, versions, registration (gzip), catalog leaf, package.
    expect(nuget.requests).toEqual([
      '/nuget/v3/index.json',
      '/nuget/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/index.json',
      '/nuget/v3/registration-gz/microsoft.ml.onnxruntime.gpu.linux/index.json',
      '/nuget/v3/catalog/microsoft.ml.onnxruntime.gpu.linux.1.30.0.json',
      '/nuget/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg',
    ]);
    expect(registry.requests).toEqual([
      '/onnxruntime-node',
      '/onnxruntime-node/-/onnxruntime-node-1.30.0.tgz',
      '/onnxruntime-common',
      '/onnxruntime-common/-/onnxruntime-common-1.30.0.tgz',
    ]);
    expect(lines.join('\n')).toContain(
      "this runner's dynamic loader does not find libcublasLt.so.13, libcublas.so.13, libcurand.so.10, libcufft.so.12, libcudart.so.13, libcuda.so.1",
    );
    // The entry, its marker, and nothing else (no staging folder, no download left behind).
    expect(listing()).toEqual([`${TOOL_CUDA[13]}/1.30.0/x64`, `${TOOL_CUDA[13]}/1.30.0/x64.complete`]);

    // The next job: nothing fetched; a CPU run is served by the same entry.
    nuget.requests.length = registry.requests.length = 0;
    const closed = { registry: 'http://127.0.0.1:9/' };
    const again = await resolveOrt(opts({ gpus: [H100_580], providerUrl: 'http://127.0.0.1:9/v3/index.json' }, closed));
    expect(again).toEqual({ ...rt, source: 'tool-cache' });
    const cpu = await resolveOrt({ ...opts({ gpus: [] }, closed), cuda: undefined });
    expect(cpu).toEqual({ ...rt, source: 'tool-cache' });
    expect([...nuget.requests, ...registry.requests]).toEqual([]);
  });

  test("V100 on driver 535: the CUDA 12 build from ORT's onnxruntime-cuda-12 feed, cached as onnxruntime-node-cuda12/1.30.0", async () => {
    const rt = await resolveOrt(opts({ gpus: [V100_535] }));
    expect(rt.dir).toBe(join(entry(TOOL_CUDA[12]), 'node_modules', 'onnxruntime-node'));
    const m = manifestOf(rt.dir);
    expect(m).toMatchObject({
      build: 12,
      version: VERSION,
      source: { kind: 'nuget', index: nuget.index(FEEDS.cuda12) },
      nupkg: { sha512: sha512(pkgs.cuda12.nupkg), sourceHash: 'matched' },
      cudaMajor: 12,
    });
    expect(m.architectures).toContain('sm_70');
    expect(m.reason).toMatch(
      /^Tesla V100-SXM2-16GB \(compute capability 7\.0, driver 535\.104\.05\) needs the CUDA 12 build/,
    );
    expect(lines).toContain(`looking up ${GPU_PACKAGE} 1.30.0 in ${nuget.index(FEEDS.cuda12)}`);
    expect(nuget.requests.every((r) => r.startsWith(`/${FEEDS.cuda12}/`))).toBe(true);
    expect(listing()).toEqual([`${TOOL_CUDA[12]}/1.30.0/x64`, `${TOOL_CUDA[12]}/1.30.0/x64.complete`]);
  });

  test('the CUDA 12 feed lacks our version: the newest earlier release, core and provider together, logged', async () => {
    nuget.feeds.fallback12!.packages = [
      providerNupkg('1.26.0', providerLibraries(12)),
      pkgs.cuda12old,
      providerNupkg('1.31.0', providerLibraries(12)),
      providerNupkg('1.30.0-rc.1', providerLibraries(12)),
    ];
    const rt = await resolveOrt(opts({ gpus: [V100_580], providerUrl: nuget.index('fallback12') }));
    expect(rt).toMatchObject({ version: '1.28.0', source: 'provisioned', cuda: true });
    expect(rt.dir).toBe(join(entry(TOOL_CUDA[12], '1.28.0'), 'node_modules', 'onnxruntime-node'));
    expect(JSON.parse(readFileSync(join(rt.dir, 'package.json'), 'utf8')).version).toBe('1.28.0');
    const why = `${nuget.index('fallback12')} has no CUDA 12 build of ${GPU_PACKAGE} 1.30.0; its newest release at or below it is 1.28.0, so onnxruntime-node 1.28.0 is provisioned together with its CUDA 12 provider 1.28.0 (core and provider must be the same version)`;
    expect(lines).toContain(`warning: ${why}`);
    expect(manifestOf(rt.dir)).toMatchObject({
      version: '1.28.0',
      fallback: why,
      nupkg: { sha512: sha512(pkgs.cuda12old.nupkg) },
    });
    // 1.30.0 first (its metadata names the sources), then 1.28.0 for the core that matches.
    expect(registry.requests.filter((r) => r.endsWith('.tgz'))).toEqual([
      '/onnxruntime-node/-/onnxruntime-node-1.30.0.tgz',
      '/onnxruntime-common/-/onnxruntime-common-1.30.0.tgz',
      '/onnxruntime-node/-/onnxruntime-node-1.28.0.tgz',
      '/onnxruntime-common/-/onnxruntime-common-1.28.0.tgz',
    ]);
    expect(listing()).toEqual([`${TOOL_CUDA[12]}/1.28.0/x64`, `${TOOL_CUDA[12]}/1.28.0/x64.complete`]);

    // Offline later: the cached fallback serves, with the same warning.
    lines.length = 0;
    const again = await resolveOrt(opts({ gpus: [V100_580] }, { registry: 'http://127.0.0.1:9/' }));
    expect(again).toEqual({ ...rt, source: 'tool-cache' });
    expect(lines).toContain(`warning: ${why}`);
  });

  test('a corrupt download fails its hash check and leaves no cache entry', async () => {
    nuget.feeds[FEEDS.cuda12]!.corrupt = [VERSION];
    try {
      const err = await resolveOrt(opts({ gpus: [V100_535] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CudaProvisionError);
      const msg = (err as Error).message;
      expect(msg).toMatch(
        /^provisioning the CUDA 12 provider failed: http:\/\/127\.0\.0\.1:\d+\/PublicPackages\/_packaging\/onnxruntime-cuda-12\/nuget\/v3-flatcontainer\/microsoft\.ml\.onnxruntime\.gpu\.linux\/1\.30\.0\/microsoft\.ml\.onnxruntime\.gpu\.linux\.1\.30\.0\.nupkg failed its hash check: the source publishes SHA512 \S+, the \d+ bytes downloaded hash to \S+\. Nothing was cached\./,
      );
      expect(msg).toContain(sha512(pkgs.cuda12.nupkg));
      expect(msg).toContain('cuda_provider_dir');
      expect(msg).toContain('textclf provision --cuda_build 12');
      expect(existsSync(join(cache, TOOL_CUDA[12], VERSION))).toBe(false);
      expect(readdirSync(join(cache, TOOL_CUDA[12]))).toEqual([]); // the staging folder is gone too
    } finally {
      nuget.feeds[FEEDS.cuda12]!.corrupt = [];
    }
  });

  test('a download cut off mid-body fails naming the bytes that arrived and leaves no cache entry', async () => {
    nuget.feeds[FEEDS.nuget]!.truncate = [VERSION];
    try {
      const err = await resolveOrt(opts({ gpus: [H100_580] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CudaProvisionError);
      const len = pkgs.nuget13.nupkg.length;
      expect((err as Error).message).toContain(
        `downloading ${nuget.url}/nuget/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg stopped after ${len >> 1} of ${len} bytes (`,
      );
      expect(leftovers()).toEqual([]);
      expect(readdirSync(join(cache, TOOL_CUDA[13]))).toEqual([]);
    } finally {
      nuget.feeds[FEEDS.nuget]!.truncate = [];
    }
  });
  /** After a failed provisioning: no entry, no marker, no staging folder (an empty tool folder at most). */
  const leftovers = () => listing().filter((x) => x.split('/').length > 1);

  test('a CUDA 12 source serving a CUDA 13 build, or a build without kernels for the GPU, is refused', async () => {
    nuget.feeds.broken!.packages = [providerNupkg(VERSION, providerLibraries(13))];
    const wrongMajor = await resolveOrt(opts({ gpus: [V100_580], providerUrl: nuget.index('broken') })).catch(
      (e: unknown) => e as Error,
    );
    expect((wrongMajor as Error).message).toContain(
      `the CUDA provider from ${GPU_PACKAGE} from ${nuget.index('broken')} links CUDA 13 (libcudart.so.13), not the CUDA 12 build that was asked for`,
    );
    // cuda_build 13 on a V100: warned before, refused after the fatbin check.
    const forced = await resolveOrt(opts({ build: '13', gpus: [V100_580] })).catch((e: unknown) => e as Error);
    expect(lines).toContainEqual(expect.stringMatching(/^warning: cuda_build 13 was requested, but Tesla V100/));
    expect((forced as Error).message).toContain(
      'has kernels for sm_75, sm_80, sm_86, sm_89, sm_90a, sm_120a only, none for Tesla V100-SXM2-16GB (compute capability 7.0); the CUDA 12 build covers it (cuda_build 12, or auto)',
    );
    expect(leftovers()).toEqual([]);
  });

  test('cuda_provider_dir: unpacked libraries are verified and cached without NuGet; a folder without them is refused', async () => {
    const dir = join(work, 'unpacked12');
    mkdirSync(dir, { recursive: true });
    for (const [n, b] of Object.entries(providerLibraries(12))) writeFileSync(join(dir, n), b);
    const rt = await resolveOrt(opts({ gpus: [V100_535], providerDir: dir }));
    expect(rt.dir).toBe(join(entry(TOOL_CUDA[12]), 'node_modules', 'onnxruntime-node'));
    expect(manifestOf(rt.dir)).toMatchObject({ build: 12, source: { kind: 'dir', dir }, cudaMajor: 12 });
    expect(manifestOf(rt.dir).nupkg).toBeUndefined();
    expect(nuget.requests).toEqual([]);

    const empty = join(work, 'empty-provider');
    mkdirSync(empty, { recursive: true });
    writeFileSync(
      join(empty, 'libonnxruntime_providers_shared.so'),
      providerLibraries(12)['libonnxruntime_providers_shared.so'],
    );
    const err = await resolveOrt(opts({ gpus: [H100_580], providerDir: empty })).catch((e: unknown) => e as Error);
    expect((err as Error).message).toContain(`cuda_provider_dir ${empty} lacks libonnxruntime_providers_cuda.so`);
    expect(existsSync(entry(TOOL_CUDA[13]))).toBe(false);
  });

  test('cuda_provider_url as a .nupkg on a mirror without registrations: size and SHA-512 recorded, no hash to compare', async () => {
    const url = `${nuget.url}/mirror/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg`;
    const rt = await resolveOrt(opts({ gpus: [V100_535], providerUrl: url }));
    expect(manifestOf(rt.dir)).toMatchObject({
      source: { kind: 'nupkg', url },
      nupkg: { url, size: pkgs.cuda12.nupkg.length, sha512: sha512(pkgs.cuda12.nupkg), sourceHash: 'unpublished' },
    });
    expect(nuget.requests).toEqual([new URL(url).pathname]);
  });

  test('an unreachable source fails in seconds naming it and the fixes; nothing is cached', async () => {
    const t0 = Date.now();
    const err = await resolveOrt(opts({ gpus: [H100_580], providerUrl: 'http://127.0.0.1:9/v3/index.json' })).catch(
      (e: unknown) => e as Error,
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(CudaProvisionError);
    expect((err as Error).message).toMatch(
      /^provisioning the CUDA 13 provider failed: http:\/\/127\.0\.0\.1:9\/v3\/index\.json is unreachable \(.*ECONNREFUSED.*\)\. Nothing was cached\. Fixes: a reachable mirror \(cuda_provider_url: .*\); unpacked provider libraries \(cuda_provider_dir\); a tool cache seeded with `textclf provision --cuda_build 13`/,
    );
    expect(leftovers()).toEqual([]);
  });

  test('an entry from before the tool names said the real CUDA major (no manifest) is replaced', async () => {
    // What older releases left: `onnxruntime-node-cuda12` holding the CUDA 13 provider, unrecorded.
    await resolveOrt({ ...opts({ gpus: [] }), cuda: undefined });
    cpSync(entry(TOOL_CPU), entry(TOOL_CUDA[12]), { recursive: true });
    const oldBin = binDir(join(entry(TOOL_CUDA[12]), 'node_modules', 'onnxruntime-node'), 'linux', 'x64');
    for (const [n, b] of Object.entries(providerLibraries(13))) writeFileSync(join(oldBin, n), b);
    writeFileSync(`${entry(TOOL_CUDA[12])}.complete`, '');
    lines.length = 0;
    const rt = await resolveOrt(opts({ gpus: [V100_535] }));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ignoring .*onnxruntime-node-cuda12\/1\.30\.0\/x64\/node_modules\/onnxruntime-node: it has no CUDA 12 provider recorded by textclf/,
      ),
    );
    expect(rt.source).toBe('provisioned');
    expect(manifestOf(rt.dir)).toMatchObject({ build: 12, cudaMajor: 12 });
  });

  test('no registry and no cache: fails in seconds naming the registry and textclf provision', async () => {
    const t0 = Date.now();
    const err = await resolveOrt({ ...opts({ gpus: [] }, { registry: 'http://127.0.0.1:9/' }), cuda: undefined }).catch(
      (e: unknown) => e as Error,
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^onnxruntime-node 1\\.30\\.0 is neither installed here nor in the tool cache \\(${cache}/onnxruntime-node/1\\.30\\.0/x64\\), and npm registry http://127\\.0\\.0\\.1:9/ is unreachable while fetching onnxruntime-node \\(.*ECONNREFUSED.*\\); .*run \`textclf provision --dir DIR\``,
      ),
    );
    expect(listing()).toEqual([]);
  });
});
