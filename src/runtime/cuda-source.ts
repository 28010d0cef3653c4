// Where each CUDA build of the provider comes from. onnxruntime-node's own install metadata names
// the NuGet source, the package and the paths of the provider libraries inside it; reading them
// from the installed package keeps this in step with ONNX Runtime:
//   13 -> the package its install step fetches (feeds.nuget: NuGet's default source)
//   12 -> the same package id in ORT's CUDA 12 feed, `onnxruntime-cuda-12`, an Azure Artifacts feed
//         of the organisation that also hosts the nightly feed the metadata names
// `cuda_provider_url` (a service index or a .nupkg URL) replaces either.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import semver from 'semver';
import type { CudaBuild } from './cuda-build.js';
import { NugetError, normalizeVersion, type NugetSource } from './nuget.js';
import { CUDA_PROVIDER_LIB, SHARED_PROVIDER_LIB } from './cuda-provider.js';
import { redactUrl } from '../util/redact.js';

/** ORT's release feed of CUDA 12 builds (NuGet and Python), kept after CUDA 13 became the default. */
export const CUDA12_FEED = 'onnxruntime-cuda-12';
/**
 * The oldest release a CUDA 12 fallback may take: the first whose npm package fetched the CUDA 13
 * provider (ORT 1.27), i.e. the release line this code's CUDA handling was written against.
 */
export const CUDA12_FALLBACK_FLOOR = '1.27.0';

export interface ProviderPackageInfo {
  /** NuGet package id (Microsoft.ML.OnnxRuntime.Gpu.Linux). */
  id: string;
  /** Paths of the shared bridge and the CUDA provider inside the .nupkg. */
  paths: Record<string, string>;
  /** Service index of the source onnxruntime-node's install step uses (the CUDA 13 build). */
  defaultIndex: string;
  /** Service index of ORT's CUDA 12 feed, derived from the nightly feed's address. */
  cuda12Index?: string;
}

interface InstallMetadata {
  manifests?: Record<string, Record<string, { package: string; path: string }>>;
  packages?: Record<string, { name: string }>;
  feeds?: Record<string, { type?: string; index?: string }>;
}

/** Reads `script/install-metadata.js` of an onnxruntime-node package (CommonJS). */
export function providerPackageInfo(ortDir: string): ProviderPackageInfo {
  const file = join(ortDir, 'script', 'install-metadata.js');
  let meta: InstallMetadata;
  try {
    meta = createRequire(join(ortDir, 'package.json'))(file) as InstallMetadata;
  } catch (e) {
    throw new NugetError(
      `cannot read onnxruntime-node's install metadata (${file}: ${(e as Error).message}); pass --cuda_provider_url or --cuda_provider_dir`,
    );
  }
  const manifest = Object.entries(meta.manifests ?? {}).find(([k]) => k.startsWith('linux/x64:'))?.[1] ?? {};
  const paths: Record<string, string> = {};
  let pkgKey: string | undefined;
  for (const lib of [SHARED_PROVIDER_LIB, CUDA_PROVIDER_LIB]) {
    const m = manifest[`./${lib}`];
    if (m) {
      paths[lib] = m.path;
      pkgKey = m.package;
    }
  }
  const id = pkgKey ? meta.packages?.[pkgKey]?.name : undefined;
  const defaultIndex = meta.feeds?.nuget?.index;
  if (!id || !defaultIndex || Object.keys(paths).length !== 2)
    throw new NugetError(
      `onnxruntime-node's install metadata (${file}) does not name the linux/x64 CUDA package, its libraries and its NuGet source; pass --cuda_provider_url or --cuda_provider_dir`,
    );
  const nightly = meta.feeds?.nuget_nightly?.index;
  const cuda12Index =
    nightly && /\/_packaging\/[^/]+\//.test(nightly)
      ? nightly.replace(/\/_packaging\/[^/]+\//, `/_packaging/${CUDA12_FEED}/`)
      : undefined;
  return { id, paths, defaultIndex, cuda12Index };
}

/** The service index a build is fetched from when no cuda_provider_url is given. */
export function defaultIndexFor(build: CudaBuild, info: ProviderPackageInfo): string {
  if (build === 13) return info.defaultIndex;
  if (!info.cuda12Index)
    throw new NugetError(
      `onnxruntime-node's install metadata names no Azure Artifacts feed to find ORT's ${CUDA12_FEED} feed beside; pass --cuda_provider_url`,
    );
  return info.cuda12Index;
}

export interface VersionPick {
  version: string;
  /** Set when the version differs from the one asked for: why, in one sentence. */
  fallback?: string;
}

/**
 * The provider version to fetch: exactly `wanted` when the source has it. Only the CUDA 12 build
 * may fall back, to the newest stable release at or below `wanted` (and not older than the floor);
 * core and provider are then provisioned at that version together.
 */
export async function pickProviderVersion(
  source: NugetSource,
  id: string,
  build: CudaBuild,
  wanted: string,
): Promise<VersionPick> {
  const versions = await source.versions(id);
  const want = normalizeVersion(wanted);
  const where = redactUrl(source.index);
  if (versions.includes(want)) return { version: wanted };
  const shown = versions.length ? `it has ${versions.slice(-6).join(', ')}` : 'it has no version of it';
  if (build === 13)
    throw new NugetError(
      `${where} has no ${id} ${wanted} (${shown}); pass --cuda_provider_url with a source that has it, or --cuda_provider_dir`,
    );
  const candidates = versions
    .filter((v) => semver.valid(v) && !semver.prerelease(v))
    .filter((v) => semver.lte(v, want) && semver.gte(v, CUDA12_FALLBACK_FLOOR))
    .sort(semver.rcompare);
  if (!candidates.length)
    throw new NugetError(
      `${where} has no CUDA 12 build of ${id} ${wanted} and none between ${CUDA12_FALLBACK_FLOOR} and it (${shown}); pass --cuda_provider_url or --cuda_provider_dir, or use --device webgpu`,
    );
  const version = candidates[0];
  return {
    version,
    fallback: `${where} has no CUDA 12 build of ${id} ${wanted}; its newest release at or below it is ${version}, so onnxruntime-node ${version} is provisioned together with its CUDA 12 provider ${version} (core and provider must be the same version)`,
  };
}

/** `<id>.<version>.nupkg` (NuGet's file naming): the version of a direct .nupkg URL. */
export function versionOfNupkgUrl(url: string, id: string): string | undefined {
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  const prefix = `${id.toLowerCase()}.`;
  if (!file.toLowerCase().startsWith(prefix) || !file.toLowerCase().endsWith('.nupkg')) return undefined;
  const v = file.slice(prefix.length, -'.nupkg'.length);
  return semver.valid(normalizeVersion(v)) ? normalizeVersion(v) : undefined;
}
