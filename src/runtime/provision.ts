// onnxruntime-node is native (≈290 MB of binaries for all platforms), so the bundle does not carry
// it. At start the action finds it, in order: next to the action (its own node_modules), in the
// runner's tool cache, or provisions it into the tool cache from npm registry tarballs. When the
// run may use CUDA (Linux x64), it wants a copy with the CUDA provider build the GPUs need
// (cuda-build.ts): tool `onnxruntime-node-cuda12` or `-cuda13`, keyed by the ORT version, built
// from the package and the provider fetched from NuGet (or cuda_provider_url / cuda_provider_dir),
// verified, and committed atomically. `textclf provision` fills a tool cache the same way.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import semver from 'semver';
import type { Logger } from '../util/logger.js';
import { redactUrl } from '../util/redact.js';
import {
  chooseCudaBuild,
  selectedGpus,
  type CudaBuild,
  type CudaBuildChoice,
  type CudaBuildRequest,
} from './cuda-build.js';
import {
  copyProviderDir,
  describeProvider,
  describeSource,
  PROVIDER_MANIFEST,
  readProviderManifest,
  unpackNupkg,
  verifyProvider,
  writeProviderManifest,
  type NupkgRecord,
  type ProviderManifest,
  type ProviderSource,
} from './cuda-provider-fetch.js';
import {
  CUDA12_FALLBACK_FLOOR,
  defaultIndexFor,
  pickProviderVersion,
  providerPackageInfo,
  versionOfNupkgUrl,
  type ProviderPackageInfo,
} from './cuda-source.js';
import { CUDA_PROVIDER_LIBS, DeviceError, parseDeviceRequest } from './device.js';
import type { LoaderEnv } from './ld-resolve.js';
import { NpmRegistry, RegistryError } from './npm-fetch.js';
import { NugetClient, NugetError, NugetSource, type PackageHash } from './nuget.js';
import { queryNvidiaGpus, type NvidiaGpu } from './nvidia-smi.js';
import { binDir, copyOrtPackage, installedOrt, installOrtPackage, usable } from './ort-package.js';
import { ORT_PACKAGE, ORT_VERSION } from './ort-version.js';
import { commitEntry, entryDir, entryVersions, findEntry, stagingDir } from './tool-cache-entry.js';

export { binDir } from './ort-package.js';
export { describeSource } from './cuda-provider-fetch.js';

export type OrtSource = 'action' | 'tool-cache' | 'provisioned';

export interface OrtRuntime {
  /** Root of the onnxruntime-node package. */
  dir: string;
  version: string;
  source: OrtSource;
  /** The CUDA execution provider libraries are present. */
  cuda: boolean;
  /** Which CUDA provider build this copy carries, why, and where it came from. */
  provider?: ProviderManifest;
}

/** What a run that may use CUDA asks of the provider (the cuda_* flags and nvidia-smi's facts). */
export interface CudaRequest {
  build: CudaBuildRequest;
  /** The GPUs the run would use; empty when none is visible. */
  gpus: NvidiaGpu[];
  /** Why no GPU is visible (nvidia-smi's error). */
  noGpu?: string;
  /** cuda_provider_url: a NuGet v3 service index or a .nupkg URL. */
  providerUrl?: string;
  /** cuda_provider_dir: unpacked provider libraries. */
  providerDir?: string;
  /** The loader's view used to name missing libraries (tests replace it). */
  loader?: LoaderEnv;
}

/**
 * The CUDA request of a run on this machine: the GPUs `device`/`gpus` select (nvidia-smi), the
 * cuda_build choice and the provider source flags; undefined off Linux x64 (no CUDA build there).
 */
export async function cudaRequestFor(o: {
  device: string;
  gpus: number;
  build: CudaBuildRequest;
  providerUrl?: string;
  providerDir?: string;
}): Promise<CudaRequest | undefined> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const r = parseDeviceRequest(o.device);
  const smi = await queryNvidiaGpus();
  return {
    build: o.build,
    gpus: smi.gpus
      ? selectedGpus(smi.gpus, { deviceId: r.kind === 'cuda' ? r.deviceId : undefined, gpus: o.gpus })
      : [],
    noGpu: smi.gpus ? undefined : smi.error,
    providerUrl: o.providerUrl,
    providerDir: o.providerDir,
  };
}

export interface ResolveOptions {
  log: Logger;
  /** Directory whose node_modules is tried first (the action's root). */
  actionDir?: string;
  /**
   * A directory whose onnxruntime-node may be copied into the tool cache but is never used in
   * place (textclf provision: the CLI's own install spares the registry).
   */
  copyFrom?: string;
  registry: string;
  registryToken?: string;
  version?: string;
  platform?: string;
  arch?: string;
  /** Set when the run may use CUDA: a copy with the provider build its GPUs need is wanted. */
  cuda?: CudaRequest;
  /** The tool cache to read and fill (default RUNNER_TOOL_CACHE); downloads are staged inside it. */
  toolCache?: string;
}

/**
 * Whether a run may use CUDA, so the provider is worth provisioning: `device: cuda[:N]`, or
 * `device: auto` (the default) with gpus > 0. `cpu` and `webgpu` never need it (WebGPU is in the
 * CPU package). A device value that does not parse provisions nothing: the flag check reports it.
 */
export function wantsCudaProvider(o: { gpus: number; device?: string }): boolean {
  try {
    const r = parseDeviceRequest(o.device || 'auto');
    return r.kind === 'cuda' || (r.kind === 'auto' && o.gpus > 0);
  } catch (e) {
    if (e instanceof DeviceError) return false;
    throw e;
  }
}

export function hasCudaProvider(
  ortDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): boolean {
  return CUDA_PROVIDER_LIBS.every((f) => existsSync(join(binDir(ortDir, platform, arch), f)));
}

/** Tool-cache names: the CPU package, and one per CUDA build of the provider. */
export const TOOL_CPU = ORT_PACKAGE;
export const TOOL_CUDA: Record<CudaBuild, string> = { 12: `${ORT_PACKAGE}-cuda12`, 13: `${ORT_PACKAGE}-cuda13` };

interface Ctx {
  version: string;
  platform: string;
  arch: string;
  root?: string;
}

/** Thrown when the provider cannot be provisioned; the bootstrap may then continue without CUDA. */
export class CudaProvisionError extends RegistryError {
  override name = 'CudaProvisionError';
}

export async function resolveOrt(o: ResolveOptions): Promise<OrtRuntime> {
  const ctx: Ctx = {
    version: o.version ?? ORT_VERSION,
    platform: o.platform ?? process.platform,
    arch: o.arch ?? process.arch,
    root: o.toolCache ?? process.env.RUNNER_TOOL_CACHE,
  };
  if (o.cuda && ctx.platform === 'linux' && ctx.arch === 'x64') {
    const choice = chooseCudaBuild(o.cuda.build, o.cuda.gpus, o.cuda.noGpu);
    o.log.info(`CUDA provider: ${choice.reason}`);
    if (choice.warning) o.log.warning(choice.warning);
    if (choice.build) return resolveCuda(o, o.cuda, ctx, { ...choice, build: choice.build });
    o.log.info('no CUDA provider is provisioned (CPU and WebGPU need none)');
  }
  return resolveCpu(o, ctx);
}

const entryPackage = (entry: string) => join(entry, 'node_modules', ORT_PACKAGE);

function runtimeOf(dir: string, version: string, source: OrtSource, ctx: Ctx): OrtRuntime {
  const provider = readProviderManifest(binDir(dir, ctx.platform, ctx.arch));
  return {
    dir,
    version,
    source,
    cuda: hasCudaProvider(dir, ctx.platform, ctx.arch),
    ...(provider ? { provider } : {}),
  };
}

/**
 * Copies of onnxruntime-node `version` on this machine: next to the action, then the tool cache;
 * with `forCopy`, also `copyFrom`'s (a source to copy, not a runtime to use).
 */
function localCopies(
  o: ResolveOptions,
  ctx: Ctx,
  version: string,
  forCopy = false,
): { dir: string; source: OrtSource }[] {
  const out: { dir: string; source: OrtSource }[] = [];
  for (const root of [o.actionDir, ...(forCopy ? [o.copyFrom] : [])]) {
    const own = root ? installedOrt(root) : undefined;
    if (own && usable(own, version, ctx.platform, ctx.arch)) out.push({ dir: own, source: 'action' });
  }
  if (ctx.root)
    for (const tool of [TOOL_CPU, TOOL_CUDA[13], TOOL_CUDA[12]]) {
      const entry = findEntry(ctx.root, tool, version, ctx.arch);
      if (entry && usable(entryPackage(entry), version, ctx.platform, ctx.arch))
        out.push({ dir: entryPackage(entry), source: 'tool-cache' });
    }
  return out;
}

async function resolveCpu(o: ResolveOptions, ctx: Ctx): Promise<OrtRuntime> {
  const own = o.actionDir ? installedOrt(o.actionDir) : undefined;
  if (own && !usable(own, ctx.version, ctx.platform, ctx.arch))
    o.log.info(
      `onnxruntime-node next to the action (${own}) is not ${ctx.version} for ${ctx.platform}/${ctx.arch}; looking further`,
    );
  // A CUDA-enabled copy also serves CPU and WebGPU runs.
  const found = localCopies(o, ctx, ctx.version)[0];
  if (found) {
    o.log.info(
      `onnxruntime-node ${ctx.version}: using ${found.source === 'action' ? "the action's own copy at" : 'the tool cache'} (${found.dir})`,
    );
    return runtimeOf(found.dir, ctx.version, found.source, ctx);
  }
  const root = requireRoot(ctx);
  const stage = stagingDir(root, TOOL_CPU);
  try {
    await o.log.group(`Provisioning onnxruntime-node ${ctx.version} from ${redactUrl(o.registry)}`, () =>
      placePackage(o, ctx, stage, ctx.version),
    );
    const entry = commitEntry(root, TOOL_CPU, ctx.version, ctx.arch, stage);
    o.log.info(`onnxruntime-node ${ctx.version}: provisioned into the tool cache (${entryPackage(entry)})`);
    return runtimeOf(entryPackage(entry), ctx.version, 'provisioned', ctx);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function requireRoot(ctx: Ctx): string {
  if (!ctx.root)
    throw new RegistryError(
      'RUNNER_TOOL_CACHE must be set to provision onnxruntime-node (textclf provision: pass --dir)',
    );
  return ctx.root;
}

/**
 * Puts onnxruntime-node `version` and onnxruntime-common into `<stage>/node_modules`: a copy of a
 * local one when this machine has it, else from the npm registry.
 */
async function placePackage(o: ResolveOptions, ctx: Ctx, stage: string, version: string): Promise<void> {
  const local = localCopies(o, ctx, version, true)[0];
  if (local) {
    copyOrtPackage(local.dir, stage, ctx.platform, ctx.arch);
    o.log.info(`onnxruntime-node ${version}: copied from ${local.dir}`);
    return;
  }
  let installed: string[];
  try {
    const registry = new NpmRegistry({ registry: o.registry, token: o.registryToken });
    installed = await installOrtPackage(registry, stage, version, ctx.platform, ctx.arch);
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    const where = ctx.root ? `the tool cache (${entryDir(ctx.root, TOOL_CPU, version, ctx.arch)})` : 'a tool cache';
    throw new RegistryError(
      `onnxruntime-node ${version} is neither installed here nor in ${where}, and ${e.message}. ` +
        'A runner without registry access needs a seeded tool cache: run `textclf provision --dir DIR` where the registry is reachable and copy DIR into the runner\'s tool cache (README: "Runners")',
    );
  }
  o.log.info(`installed ${installed.join(', ')}`);
  const dir = join(stage, 'node_modules', ORT_PACKAGE);
  if (!usable(dir, version, ctx.platform, ctx.arch))
    throw new RegistryError(
      `provisioned ${installed.join(', ')} but ${binDir(dir, ctx.platform, ctx.arch)}/onnxruntime_binding.node is missing: onnxruntime-node ${version} has no binary for ${ctx.platform}/${ctx.arch}`,
    );
}

type Choice = CudaBuildChoice & { build: CudaBuild };

async function resolveCuda(o: ResolveOptions, req: CudaRequest, ctx: Ctx, choice: Choice): Promise<OrtRuntime> {
  const { build } = choice;
  const own = o.actionDir ? installedOrt(o.actionDir) : undefined;
  if (own && usable(own, ctx.version, ctx.platform, ctx.arch) && readProviderManifest(binDir(own))?.build === build) {
    o.log.info(
      `onnxruntime-node ${ctx.version} with the CUDA ${build} provider: using the action's own copy at ${own}`,
    );
    return runtimeOf(own, ctx.version, 'action', ctx);
  }
  const cached = findCudaEntry(o, ctx, build);
  if (cached) return cached;
  return provisionCuda(o, req, ctx, choice);
}

/**
 * A tool-cache entry of this build: our version, else (CUDA 12 only) the newest earlier release
 * not older than the fallback floor, which an earlier provisioning took because the CUDA 12 feed
 * lacked ours. Entries without a manifest (written before tool names said the real CUDA major:
 * `-cuda12` then held the CUDA 13 provider) are ignored and replaced.
 */
function findCudaEntry(o: ResolveOptions, ctx: Ctx, build: CudaBuild): OrtRuntime | undefined {
  if (!ctx.root) return undefined;
  const tool = TOOL_CUDA[build];
  const versions = entryVersions(ctx.root, tool, ctx.arch).filter(
    (v) => v === ctx.version || (build === 12 && semver.lt(v, ctx.version) && semver.gte(v, CUDA12_FALLBACK_FLOOR)),
  );
  for (const v of versions) {
    const dir = entryPackage(entryDir(ctx.root, tool, v, ctx.arch));
    const m = readProviderManifest(binDir(dir, ctx.platform, ctx.arch));
    if (
      !usable(dir, v, ctx.platform, ctx.arch) ||
      m?.build !== build ||
      !hasCudaProvider(dir, ctx.platform, ctx.arch)
    ) {
      if (v === ctx.version)
        o.log.info(
          `ignoring ${dir}: it has no ${m ? 'complete ' : ''}CUDA ${build} provider recorded by textclf (an older entry, or another build); provisioning it again`,
        );
      continue;
    }
    o.log.info(
      `onnxruntime-node ${v} with the CUDA ${build} provider: using the tool cache (${dir}; ${describeSource(m.source)})`,
    );
    if (v !== ctx.version)
      o.log.warning(m.fallback ?? `the cached CUDA ${build} entry is onnxruntime-node ${v}, not ${ctx.version}`);
    return runtimeOf(dir, v, 'tool-cache', ctx);
  }
  return undefined;
}

/** The CUDA build's entry: package + provider staged, verified, then committed in one rename. */
async function provisionCuda(o: ResolveOptions, req: CudaRequest, ctx: Ctx, choice: Choice): Promise<OrtRuntime> {
  const { build } = choice;
  const tool = TOOL_CUDA[build];
  const root = requireRoot(ctx);
  const stage = stagingDir(root, tool);
  const tmpFile = join(stage, 'provider.nupkg.part');
  const client = new NugetClient();
  try {
    return await o.log.group(
      `Provisioning the CUDA ${build} provider for onnxruntime-node ${ctx.version}`,
      async () => {
        const plan = await planProvider(o, req, ctx, build, stage, client);
        if (plan.fallback) o.log.warning(plan.fallback);
        if (!plan.placed) await placePackage(o, ctx, stage, plan.version);
        const bin = binDir(join(stage, 'node_modules', ORT_PACKAGE), ctx.platform, ctx.arch);
        let nupkg: NupkgRecord | undefined;
        if (plan.source.kind === 'dir') {
          copyProviderDir(plan.source.dir, bin);
          o.log.info(`copied the provider libraries from ${plan.source.dir}`);
        } else {
          o.log.info(`downloading ${redactUrl(plan.url!)}`);
          nupkg = await unpackNupkg({
            client,
            url: plan.url!,
            expected: plan.expected,
            tmpFile,
            binDir: bin,
            paths: plan.info!.paths,
          });
          rmSync(tmpFile, { force: true });
          o.log.info(
            `${nupkg.url}: ${nupkg.size} bytes, SHA-512 ${nupkg.sha512} (${nupkg.sourceHash === 'matched' ? "equal to the source's packageHash" : 'the source publishes no hash to check it against'})`,
          );
        }
        const verified = verifyProvider(bin, {
          build,
          gpus: req.gpus,
          from: describeSource(plan.source),
          env: req.loader,
        });
        o.log.info(`verified the CUDA ${build} provider: ${describeProvider(verified)}`);
        if (verified.missingOnRunner.length)
          o.log.warning(
            `this runner's dynamic loader does not find ${verified.missingOnRunner.join(', ')}, which the CUDA ${build} provider needs: CUDA stays unavailable here until they are installed (textclf doctor names the packages); the provider itself is fine and is cached`,
          );
        const manifest: ProviderManifest = {
          build,
          reason: choice.reason,
          version: plan.version,
          source: plan.source,
          ...(nupkg ? { nupkg } : {}),
          cudaMajor: verified.cudaMajor,
          cudnnMajor: verified.cudnnMajor,
          architectures: verified.architectures,
          missingOnRunner: verified.missingOnRunner,
          ...(plan.fallback ? { fallback: plan.fallback } : {}),
          provisionedAt: new Date().toISOString(),
        };
        writeProviderManifest(bin, manifest);
        const entry = commitEntry(root, tool, plan.version, ctx.arch, stage);
        o.log.info(
          `onnxruntime-node ${plan.version} with the CUDA ${build} provider: cached in ${entryPackage(entry)}`,
        );
        return runtimeOf(entryPackage(entry), plan.version, 'provisioned', ctx);
      },
    );
  } catch (e) {
    if (!(e instanceof NugetError) && !(e instanceof RegistryError)) throw e;
    const fixes = [
      'a reachable mirror (cuda_provider_url: a NuGet v3 service index or a .nupkg URL)',
      'unpacked provider libraries (cuda_provider_dir)',
      `a tool cache seeded with \`textclf provision --cuda_build ${build}\` (README: "Runners")`,
    ];
    throw new CudaProvisionError(
      `provisioning the CUDA ${build} provider failed: ${e.message}. Nothing was cached. Fixes: ${fixes.join('; ')}`,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

interface ProviderPlan {
  version: string;
  source: ProviderSource;
  url?: string;
  expected?: PackageHash;
  info?: ProviderPackageInfo;
  fallback?: string;
  /** The package of `version` is already in the stage. */
  placed: boolean;
}

/**
 * Which provider, of which version, from where. The package of our version is staged first: its
 * install metadata names the provider package and its source. When the CUDA 12 source lacks our
 * version, the core is replaced by the fallback version's.
 */
async function planProvider(
  o: ResolveOptions,
  req: CudaRequest,
  ctx: Ctx,
  build: CudaBuild,
  stage: string,
  client: NugetClient,
): Promise<ProviderPlan> {
  if (req.providerDir) {
    // The libraries do not say their version: a manifest beside them (textclf provision) does.
    const m = readProviderManifest(req.providerDir);
    if (m && m.version !== ctx.version && (build !== 12 || semver.lt(m.version, CUDA12_FALLBACK_FLOOR)))
      throw new NugetError(
        `cuda_provider_dir ${req.providerDir} holds the provider of onnxruntime-node ${m.version} (its ${PROVIDER_MANIFEST} says so), not ${ctx.version}`,
      );
    const version = m?.version ?? ctx.version;
    return {
      version,
      source: { kind: 'dir', dir: req.providerDir },
      placed: false,
      ...(version !== ctx.version
        ? {
            fallback:
              m?.fallback ??
              `cuda_provider_dir holds the CUDA 12 provider of onnxruntime-node ${version}, so that version is provisioned with it`,
          }
        : {}),
    };
  }
  await placePackage(o, ctx, stage, ctx.version);
  const info = providerPackageInfo(join(stage, 'node_modules', ORT_PACKAGE));
  let plan: ProviderPlan;
  const url = req.providerUrl;
  if (url && /\.nupkg$/i.test(new URL(url).pathname)) {
    const v = versionOfNupkgUrl(url, info.id);
    if (!v)
      throw new NugetError(
        `cuda_provider_url ${redactUrl(url)} does not end in ${info.id}.<version>.nupkg (NuGet's file name), so its version cannot be checked against onnxruntime-node ${ctx.version}`,
      );
    const fallback =
      v === ctx.version
        ? undefined
        : build === 12 && semver.lt(v, ctx.version) && semver.gte(v, CUDA12_FALLBACK_FLOOR)
          ? `cuda_provider_url is the CUDA 12 provider ${v}, so onnxruntime-node ${v} is provisioned with it (core and provider must be the same version)`
          : undefined;
    if (v !== ctx.version && !fallback)
      throw new NugetError(
        `cuda_provider_url ${redactUrl(url)} is ${info.id} ${v}; onnxruntime-node ${ctx.version} needs ${ctx.version}${build === 12 ? ` (or, for CUDA 12, a release from ${CUDA12_FALLBACK_FLOOR} up to it)` : ''}`,
      );
    plan = { version: v, source: { kind: 'nupkg', url: redactUrl(url) }, url, info, fallback, placed: true };
  } else {
    const index = url ?? defaultIndexFor(build, info);
    const source = new NugetSource(index, client);
    o.log.info(`looking up ${info.id} ${ctx.version} in ${redactUrl(index)}`);
    const pick = await pickProviderVersion(source, info.id, build, ctx.version);
    plan = {
      version: pick.version,
      source: { kind: 'nuget', index: redactUrl(index), id: info.id },
      url: await source.nupkgUrl(info.id, pick.version),
      expected: await source.packageHash(info.id, pick.version),
      info,
      fallback: pick.fallback,
      placed: true,
    };
  }
  if (plan.version !== ctx.version) {
    rmSync(join(stage, 'node_modules'), { recursive: true, force: true });
    plan.placed = false;
  }
  return plan;
}

/** Loads the resolved package (CommonJS) so the bundle never imports it by name. */
export function loadOrt(rt: OrtRuntime): typeof import('onnxruntime-node') {
  return createRequire(join(rt.dir, 'package.json'))(rt.dir) as typeof import('onnxruntime-node');
}
