// Fetching, unpacking and verifying a CUDA provider build before it may become a cache entry:
// the .nupkg is streamed to disk with its size and SHA-512 recorded (and checked against the hash
// the source publishes, when it does); only the two provider libraries are unpacked; the provider's
// ELF must parse, link the CUDA major that was asked for, and carry kernels for every selected GPU.
// DT_NEEDED libraries missing on this runner are named but do not fail the download: a runner
// without cuDNN is a runner to fix, not a bad package (the CUDA preflight refuses it until then).
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { redactUrl } from '../util/redact.js';
import type { CudaBuild } from './cuda-build.js';
import { CUDA_PROVIDER_LIB, inspectCudaProvider, loaderEnv, SHARED_PROVIDER_LIB } from './cuda-provider.js';
import { imageFor, imageName } from './fatbin.js';
import type { LoaderEnv } from './ld-resolve.js';
import { NugetError, type NugetClient, type PackageHash } from './nuget.js';
import type { NvidiaGpu } from './nvidia-smi.js';

/** Written next to the provider libraries: what they are, why, and where they came from. */
export const PROVIDER_MANIFEST = 'textclf-cuda-provider.json';
export const PROVIDER_LIBS = [SHARED_PROVIDER_LIB, CUDA_PROVIDER_LIB];

export type ProviderSource =
  { kind: 'nuget'; index: string; id: string } | { kind: 'nupkg'; url: string } | { kind: 'dir'; dir: string };

export interface NupkgRecord {
  url: string;
  size: number;
  /** Base64 SHA-512 of the downloaded file. */
  sha512: string;
  /** 'matched': the source published packageHash and it equals sha512; 'unpublished': it has none. */
  sourceHash: 'matched' | 'unpublished';
}

export interface ProviderManifest {
  build: CudaBuild;
  /** Why this build (GPU, compute capability, driver, or the cuda_build request). */
  reason: string;
  /** onnxruntime-node's version, which is the provider's. */
  version: string;
  source: ProviderSource;
  nupkg?: NupkgRecord;
  cudaMajor?: number;
  cudnnMajor?: number;
  architectures: string[];
  /** Libraries the provider links that this runner's loader did not find when it was provisioned. */
  missingOnRunner: string[];
  /** Set when the version is not the one this textclf was built with: why. */
  fallback?: string;
  provisionedAt: string;
}

export class ProviderVerifyError extends NugetError {
  override name = 'ProviderVerifyError';
}

export function readProviderManifest(binDir: string): ProviderManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(binDir, PROVIDER_MANIFEST), 'utf8')) as ProviderManifest;
    return m.build === 12 || m.build === 13 ? m : undefined;
  } catch {
    return undefined;
  }
}

export function writeProviderManifest(binDir: string, m: ProviderManifest): void {
  writeJsonAtomic(join(binDir, PROVIDER_MANIFEST), m);
}

/**
 * Downloads the .nupkg to `tmpFile`, checks the source's hash, and unpacks the two provider
 * libraries (at `paths` inside the package) into `binDir`.
 */
export async function unpackNupkg(o: {
  client: NugetClient;
  url: string;
  expected?: PackageHash;
  tmpFile: string;
  binDir: string;
  paths: Record<string, string>;
}): Promise<NupkgRecord> {
  const got = await o.client.download(o.url, o.tmpFile);
  let sourceHash: NupkgRecord['sourceHash'] = 'unpublished';
  if (o.expected) {
    if (o.expected.algorithm.toUpperCase() !== 'SHA512')
      throw new ProviderVerifyError(
        `${redactUrl(o.url)}: the source publishes a ${o.expected.algorithm} hash; only SHA512 (NuGet's) is checked`,
      );
    if (o.expected.hash !== got.sha512)
      throw new ProviderVerifyError(
        `${redactUrl(o.url)} failed its hash check: the source publishes SHA512 ${o.expected.hash}, the ${got.size} bytes downloaded hash to ${got.sha512}`,
      );
    sourceHash = 'matched';
  }
  await extractLibraries(o.tmpFile, o.binDir, o.paths, redactUrl(o.url));
  return { url: redactUrl(o.url), size: got.size, sha512: got.sha512, sourceHash };
}

async function extractLibraries(file: string, binDir: string, paths: Record<string, string>, shown: string) {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true });
  } catch (e) {
    throw new ProviderVerifyError(`${shown} is not a valid .nupkg (zip): ${(e as Error).message}`);
  }
  const wanted = new Map(Object.entries(paths).map(([lib, p]) => [p, lib]));
  const found = new Set<string>();
  mkdirSync(binDir, { recursive: true });
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (e: yauzl.Entry) => {
        const lib = wanted.get(e.fileName);
        if (!lib) return zip.readEntry();
        found.add(lib);
        zip
          .openReadStreamPromise(e)
          .then((s) => pipeline(s, createWriteStream(join(binDir, lib), { mode: 0o755 })))
          .then(() => zip.readEntry(), fail);
      });
      zip.readEntry();
    });
  } catch (e) {
    throw new ProviderVerifyError(`${shown} could not be unpacked: ${(e as Error).message}`);
  } finally {
    zip.close();
  }
  const missing = [...wanted.entries()].filter(([, lib]) => !found.has(lib)).map(([p]) => p);
  if (missing.length) throw new ProviderVerifyError(`${shown} lacks ${missing.join(', ')}`);
}

/** Copies the two provider libraries from an unpacked directory (`cuda_provider_dir`). */
export function copyProviderDir(dir: string, binDir: string): void {
  const missing = PROVIDER_LIBS.filter((l) => !existsSync(join(dir, l)) || !statSync(join(dir, l)).isFile());
  if (missing.length)
    throw new ProviderVerifyError(
      `cuda_provider_dir ${dir} lacks ${missing.join(' and ')} (it must hold the unpacked runtimes/linux-x64/native/ libraries of Microsoft.ML.OnnxRuntime.Gpu.Linux)`,
    );
  mkdirSync(binDir, { recursive: true });
  for (const l of PROVIDER_LIBS) copyFileSync(join(dir, l), join(binDir, l));
}

export interface VerifiedProvider {
  cudaMajor?: number;
  cudnnMajor?: number;
  architectures: string[];
  /** DT_NEEDED libraries (direct and one level down) this runner's loader does not find. */
  missingOnRunner: string[];
}

/**
 * The staged provider in `binDir` is the build that was asked for and can run on `gpus`: its ELF
 * parses, it links CUDA `build`, and its fat binaries carry an image for each GPU. `from` names it.
 */
export function verifyProvider(
  binDir: string,
  o: { build: CudaBuild; gpus: NvidiaGpu[]; from: string; env?: LoaderEnv },
): VerifiedProvider {
  const info = inspectCudaProvider(binDir, o.env ?? loaderEnv());
  const what = `the CUDA provider from ${o.from}`;
  if (!info.present || !info.sharedPresent)
    throw new ProviderVerifyError(`${what} lacks ${!info.present ? CUDA_PROVIDER_LIB : SHARED_PROVIDER_LIB}`);
  if (info.error) throw new ProviderVerifyError(`${what} is not a readable ELF shared library: ${info.error}`);
  if (info.cudaMajor !== o.build)
    throw new ProviderVerifyError(
      `${what} links ${info.cudaMajor === undefined ? 'no CUDA runtime (libcudart/libcublas)' : `CUDA ${info.cudaMajor} (libcudart.so.${info.cudaMajor})`}, not the CUDA ${o.build} build that was asked for`,
    );
  if (!info.images?.length)
    throw new ProviderVerifyError(
      `${what} has no .nv_fatbin section, so which GPUs its kernels cover cannot be checked`,
    );
  const architectures = info.images.map(imageName);
  for (const g of o.gpus)
    if (!imageFor(info.images, g.computeCap))
      throw new ProviderVerifyError(
        `${what} has kernels for ${architectures.join(', ')} only, none for ${g.name} (compute capability ${g.computeCap})${o.build === 13 ? '; the CUDA 12 build covers it (cuda_build 12, or auto)' : ''}`,
      );
  const missingOnRunner = [...info.needed, ...info.indirect]
    .filter((l) => !l.path)
    .map((l) => l.name)
    .filter((n, i, a) => a.indexOf(n) === i);
  return { cudaMajor: info.cudaMajor, cudnnMajor: info.cudnnMajor, architectures, missingOnRunner };
}

/** "libonnxruntime_providers_cuda.so (CUDA 12, cuDNN 9; sm_70, sm_75, ...)" for the log. */
export function describeProvider(v: VerifiedProvider): string {
  return `CUDA ${v.cudaMajor}${v.cudnnMajor !== undefined ? `, cuDNN ${v.cudnnMajor}` : ''}; kernels for ${v.architectures.join(', ')}`;
}

/** Where a provider came from, in words. */
export function describeSource(s: ProviderSource): string {
  if (s.kind === 'nuget') return `${s.id} from ${s.index}`;
  if (s.kind === 'nupkg') return s.url;
  return `the unpacked libraries in ${s.dir}`;
}
