// What the provisioned CUDA provider (libonnxruntime_providers_cuda.so) needs and contains: its
// DT_NEEDED libraries resolved the way the loader would, the CUDA and cuDNN majors it links, and
// the GPU architectures its kernels were compiled for.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ElfFile } from './elf.js';
import { baseImages, readFatbins, type FatbinImage, type FatbinSummary } from './fatbin.js';
import { readLdCache } from './ld-cache.js';
import { resolveNeeded, systemDirs, type LibLookup, type LoaderEnv, type NeedingObject } from './ld-resolve.js';

export const CUDA_PROVIDER_LIB = 'libonnxruntime_providers_cuda.so';
export const SHARED_PROVIDER_LIB = 'libonnxruntime_providers_shared.so';

export interface CudaProviderInfo {
  /** Where the provider must be (onnxruntime-node's binary directory). */
  path: string;
  present: boolean;
  /** The shared-provider bridge ORT loads first. */
  sharedPresent: boolean;
  /** Why the file could not be read, when it could not. */
  error?: string;
  /** Direct DT_NEEDED libraries, resolved. */
  needed: LibLookup[];
  /** Libraries those need in turn (one level), resolved: cuBLAS needs cuBLASLt, and so on. */
  indirect: LibLookup[];
  /**
   * Libraries the provider opens at run time (dlopen, no DT_NEEDED entry), resolved as that dlopen
   * would resolve them, and what they need: cuDNN since ORT 1.28, with the cuDNN 9 sub-libraries
   * libcudnn.so.9 opens itself; cuBLAS/cuBLASLt when they are not linked.
   */
  lazy?: LibLookup[];
  runpath?: string[];
  /** From libcudart.so.N / libcublas.so.N. */
  cudaMajor?: number;
  /** From libcudnn.so.N. */
  cudnnMajor?: number;
  fatbin?: FatbinSummary;
  /** The architectures most of its kernels carry (see baseImages). */
  images?: FatbinImage[];
  /** For each library the loader cannot find: copies outside its search path, other majors it has. */
  hints: Record<string, { elsewhere: string[]; otherVersions: string[] }>;
}

/** Default loader environment of this process. */
export function loaderEnv(env: NodeJS.ProcessEnv = process.env): LoaderEnv {
  return {
    ldLibraryPath: env.LD_LIBRARY_PATH,
    cache: readLdCache().cache,
    systemDirs: systemDirs(),
    installDirs: cudaInstallDirs(),
  };
}

/** Libraries every Linux process has; not worth listing or resolving. */
const SYSTEM_LIBS = /^(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[-\w]*)\.so/;

export function inspectCudaProvider(binDir: string, env: LoaderEnv = loaderEnv()): CudaProviderInfo {
  const file = path.join(binDir, CUDA_PROVIDER_LIB);
  const info: CudaProviderInfo = {
    path: file,
    present: existsSync(file),
    sharedPresent: existsSync(path.join(binDir, SHARED_PROVIDER_LIB)),
    needed: [],
    indirect: [],
    lazy: [],
    hints: {},
  };
  if (!info.present) return info;
  let elf: ElfFile;
  try {
    elf = new ElfFile(file);
  } catch (e) {
    info.error = (e as Error).message;
    return info;
  }
  try {
    const dyn = elf.dynamic();
    info.runpath = dyn.runpath ?? dyn.rpath;
    const obj = { path: file, rpath: dyn.rpath, runpath: dyn.runpath };
    info.needed = dyn.needed.filter((n) => !SYSTEM_LIBS.test(n)).map((n) => resolveNeeded(n, obj, env));
    info.cudaMajor = majorOf(dyn.needed, /^libcudart\.so\.(\d+)$/) ?? majorOf(dyn.needed, /^libcublas\.so\.(\d+)$/);
    info.cudnnMajor = majorOf(dyn.needed, /^libcudnn\.so\.(\d+)$/);
    info.indirect = indirectNeeds(info.needed, env);
    info.lazy = lazyLibraries(info, obj, env);
    info.cudnnMajor ??= info.lazy.some((l) => l.name.startsWith('libcudnn')) ? CUDNN_MAJOR : undefined;
    for (const l of [...info.needed, ...info.indirect, ...info.lazy])
      if (!l.path)
        info.hints[l.name] = { elsewhere: findElsewhere(l.name, env), otherVersions: otherVersions(l.name, env) };
    try {
      info.fatbin = readFatbins(elf);
      info.images = info.fatbin ? baseImages(info.fatbin) : undefined;
    } catch (e) {
      info.error = (e as Error).message;
    }
  } catch (e) {
    info.error = (e as Error).message;
  } finally {
    elf.close();
  }
  return info;
}

/** The cuDNN major ORT's loader opens (cudnn_loader.cc: "libcudnn.so.9", then "libcudnn.so"). */
export const CUDNN_MAJOR = 9;
/** What libcudnn.so.9 itself opens for the calls ORT makes (handles, tensor descriptors, softmax...). */
const CUDNN_SUBLIBS = ['libcudnn_graph.so.9', 'libcudnn_ops.so.9'];

/**
 * The libraries a lazily loading provider opens with dlopen, resolved from the provider (a dlopen
 * searches the caller's RUNPATH too), and one level of their own needs. cuDNN's own dlopens of its
 * sub-libraries are resolved from where libcudnn.so.9 was found.
 */
function lazyLibraries(info: CudaProviderInfo, provider: NeedingObject, env: LoaderEnv): LibLookup[] {
  const linked = new Set([...info.needed, ...info.indirect].map((l) => l.name));
  const out: LibLookup[] = [];
  let cudnn = [...info.needed, ...info.indirect].find((l) => /^libcudnn\.so/.test(l.name));
  if (!cudnn) {
    const versioned = resolveNeeded(`libcudnn.so.${CUDNN_MAJOR}`, provider, env);
    const plain = versioned.path ? undefined : resolveNeeded('libcudnn.so', provider, env);
    cudnn = plain?.path ? plain : versioned;
    out.push(cudnn);
  }
  if (info.cudaMajor !== undefined)
    for (const name of [`libcublasLt.so.${info.cudaMajor}`, `libcublas.so.${info.cudaMajor}`])
      if (!linked.has(name)) out.push(resolveNeeded(name, provider, env));
  if (cudnn.path) {
    const from = needingObject(cudnn.path);
    for (const name of CUDNN_SUBLIBS) if (!linked.has(name)) out.push(resolveNeeded(name, from, env));
  }
  const seen = new Set([...linked, ...out.map((l) => l.name)]);
  return [...out, ...indirectNeeds(out, env).filter((l) => !seen.has(l.name))];
}

function needingObject(file: string): NeedingObject {
  try {
    const elf = new ElfFile(file);
    try {
      const d = elf.dynamic();
      return { path: file, rpath: d.rpath, runpath: d.runpath };
    } finally {
      elf.close();
    }
  } catch {
    return { path: file };
  }
}

function majorOf(needed: string[], re: RegExp): number | undefined {
  for (const n of needed) {
    const m = re.exec(n);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** One level down: what the found CUDA libraries need themselves (a library already named counts once). */
function indirectNeeds(direct: LibLookup[], env: LoaderEnv): LibLookup[] {
  const seen = new Set(direct.map((l) => l.name));
  const out: LibLookup[] = [];
  for (const lib of direct) {
    if (!lib.path || lib.name === 'libcuda.so.1') continue;
    let dyn;
    try {
      const elf = new ElfFile(lib.path);
      try {
        dyn = elf.dynamic();
      } finally {
        elf.close();
      }
    } catch {
      continue; // a linker script or an unreadable file: the probe will tell
    }
    for (const n of dyn.needed) {
      if (seen.has(n) || SYSTEM_LIBS.test(n)) continue;
      seen.add(n);
      out.push(resolveNeeded(n, { path: lib.path, rpath: dyn.rpath, runpath: dyn.runpath }, env));
    }
  }
  return out;
}

/** Where CUDA installers put libraries that the loader does not search by default. */
export function cudaInstallDirs(exists: (p: string) => boolean = existsSync): string[] {
  const dirs = ['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib'];
  try {
    for (const d of readdirSync('/usr/local'))
      if (/^cuda-\d+(\.\d+)?$/.test(d)) dirs.push(`/usr/local/${d}/lib64`, `/usr/local/${d}/targets/x86_64-linux/lib`);
  } catch {
    /* no /usr/local */
  }
  return dirs.filter((d) => exists(d));
}

function findElsewhere(name: string, env: LoaderEnv): string[] {
  const exists = env.exists ?? existsSync;
  return (env.installDirs ?? []).map((d) => path.join(d, name)).filter((p) => exists(p));
}

/** Same library, other major versions, that the loader does find (libcudart.so.12 when .13 is needed). */
function otherVersions(name: string, env: LoaderEnv): string[] {
  const m = /^(lib[\w+-]+\.so)\.\d+$/.exec(name);
  if (!m) return [];
  return [...env.cache.keys()].filter((k) => k !== name && k.startsWith(`${m[1]}.`) && /\.so\.\d+$/.test(k)).sort();
}
