// What the provisioned CUDA provider (libonnxruntime_providers_cuda.so) needs and contains: its
// DT_NEEDED libraries resolved the way the loader would, the CUDA and cuDNN majors it links, and
// the GPU architectures its kernels were compiled for.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ElfFile } from './elf.js';
import { baseImages, readFatbins, type FatbinImage, type FatbinSummary } from './fatbin.js';
import { readLdCache } from './ld-cache.js';
import { resolveNeeded, systemDirs, type LibLookup, type LoaderEnv } from './ld-resolve.js';

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
    for (const l of [...info.needed, ...info.indirect])
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
