// What WebGPU needs below Dawn on Linux, checked by the Vulkan loader's own rules without loading
// anything: Dawn (inside libonnxruntime.so.1) dlopens `libvulkan.so.1`; that loader reads the
// driver manifests (ICD JSON files) from VK_DRIVER_FILES / VK_ICD_FILENAMES when set, else from
// the XDG config and data directories and /etc (LoaderDriverInterface.md, "Driver Discovery on
// Linux"), and dlopens the library each names. On NVIDIA that is nvidia_icd.json ->
// libGLX_nvidia.so.0, which only the full driver ships (not the compute-only install), and which the
// NVIDIA container runtime mounts only when NVIDIA_DRIVER_CAPABILITIES includes `graphics`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceProblem } from './device.js';
import { ElfFile } from './elf.js';
import { readLdCache } from './ld-cache.js';
import {
  describeSearch,
  resolveNeeded,
  systemDirs,
  type LibLookup,
  type LoaderEnv,
  type NeedingObject,
} from './ld-resolve.js';

export const VULKAN_LOADER = 'libvulkan.so.1';

export interface VulkanEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  /** How ld.so resolves names (LD_LIBRARY_PATH, /etc/ld.so.cache, system directories). */
  loader: LoaderEnv;
  /** The library that dlopens libvulkan.so.1 (libonnxruntime.so.1: its RUNPATH counts). */
  caller?: NeedingObject;
  /** An NVIDIA GPU is here (nvidia-smi lists one, or the kernel driver is loaded). */
  nvidiaGpu: boolean;
  /** Running in a container (the NVIDIA runtime sets NVIDIA_VISIBLE_DEVICES; Docker creates /.dockerenv). */
  container: boolean;
  /** ELF e_machine of this process (x86-64: 62, aarch64: 183): drivers of another architecture are skipped. */
  machine: number;
  /** GPU device nodes (gpuDeviceNodes): without one, no hardware Vulkan driver finds a device. */
  deviceNodes: string[];
}

/** Where the loader looks for driver manifests, and why there. */
export interface IcdSearch {
  from: 'VK_DRIVER_FILES' | 'VK_ICD_FILENAMES' | 'default';
  /** Files or directories, in the loader's order (VK_ADD_DRIVER_FILES first). */
  paths: string[];
}

export interface VulkanDriver {
  /** The manifest (ICD JSON) file. */
  manifest: string;
  /** library_path as the manifest names it. */
  library?: string;
  apiVersion?: string;
  /** Where the library is, when the loader would find it. */
  path?: string;
  via?: string;
  searched?: string[];
  /** Libraries it needs that ld.so cannot find (so dlopen would fail). */
  missing: string[];
  /** Why the manifest or library is unusable (unreadable JSON, not an ELF, ...). */
  error?: string;
  /** Ignored by the loader: a driver for another architecture (32-bit drivers for 32-bit programs). */
  skipped?: string;
  kind: 'nvidia' | 'software' | 'gpu';
  /** The loader would load it. */
  loads: boolean;
}

export interface VulkanReport {
  loader: LibLookup;
  search: IcdSearch;
  drivers: VulkanDriver[];
  /** GPU device nodes here (/dev/dri/renderD*, /dev/nvidia<N>). */
  deviceNodes: string[];
  /**
   * No GPU behind Vulkan: every driver that loads is a software one (lavapipe, SwiftShader), or
   * there is no GPU device node for a hardware driver to open (Mesa installs its hardware drivers
   * on machines without the hardware).
   */
  softwareOnly: boolean;
  nvidiaGpu: boolean;
  container: boolean;
  /** NVIDIA_DRIVER_CAPABILITIES as set (undefined: unset). */
  nvidiaCapabilities?: string;
}

const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };
const SOFTWARE = /lvp|lavapipe|llvmpipe|swiftshader/i;
const SYSTEM_LIBS = /^(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[-\w]*)\.so/;

/**
 * The device nodes a hardware Vulkan driver opens: DRM render nodes (Mesa's drivers, virtio-gpu)
 * and NVIDIA's /dev/nvidia<N>. A container sees only those passed into it.
 */
export function gpuDeviceNodes(dev = '/dev'): string[] {
  const list = (dir: string, re: RegExp) => {
    try {
      return readdirSync(dir)
        .filter((f) => re.test(f))
        .sort()
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  };
  return [...list(path.join(dev, 'dri'), /^renderD\d+$/), ...list(dev, /^nvidia\d+$/)];
}

/** This process's view: environment, ld.so state, ORT's library as the caller. */
export function vulkanEnvironment(o: { nvidiaGpu?: boolean; ortLibDir?: string } = {}): VulkanEnvironment {
  const env = process.env;
  let caller: NeedingObject | undefined;
  const ortLib = o.ortLibDir ? path.join(o.ortLibDir, 'libonnxruntime.so.1') : undefined;
  if (ortLib && existsSync(ortLib)) {
    try {
      const elf = new ElfFile(ortLib);
      try {
        const d = elf.dynamic();
        caller = { path: ortLib, rpath: d.rpath, runpath: d.runpath };
      } finally {
        elf.close();
      }
    } catch {
      caller = { path: ortLib };
    }
  }
  return {
    env,
    home: os.homedir(),
    loader: { ldLibraryPath: env.LD_LIBRARY_PATH, cache: readLdCache().cache, systemDirs: systemDirs() },
    caller,
    nvidiaGpu: o.nvidiaGpu ?? existsSync('/proc/driver/nvidia/version'),
    container: env.NVIDIA_VISIBLE_DEVICES !== undefined || existsSync('/.dockerenv'),
    machine: ELF_MACHINE[process.arch] ?? 0,
    deviceNodes: gpuDeviceNodes(),
  };
}

const split = (v: string | undefined) => (v ?? '').split(':').filter(Boolean);

/** The loader's driver search (Linux): an override replaces the default directories; VK_ADD_DRIVER_FILES comes first. */
export function icdSearch(env: NodeJS.ProcessEnv, home: string): IcdSearch {
  const added = split(env.VK_ADD_DRIVER_FILES);
  // VK_DRIVER_FILES replaced VK_ICD_FILENAMES and wins when both are set.
  for (const from of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES'] as const)
    if (split(env[from]).length) return { from, paths: [...added, ...split(env[from])] };
  const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
  const configDirs = split(env.XDG_CONFIG_DIRS).length ? split(env.XDG_CONFIG_DIRS) : ['/etc/xdg'];
  const dataHome = env.XDG_DATA_HOME || path.join(home, '.local/share');
  const dataDirs = split(env.XDG_DATA_DIRS).length ? split(env.XDG_DATA_DIRS) : ['/usr/local/share', '/usr/share'];
  const dirs = [configHome, ...configDirs, '/etc', dataHome, ...dataDirs].map((d) => path.join(d, 'vulkan/icd.d'));
  return { from: 'default', paths: [...added, ...new Set(dirs)] };
}

/** Manifest files in search order: a directory contributes its *.json files, sorted as the loader sorts them. */
function manifestFiles(search: IcdSearch): string[] {
  const out: string[] = [];
  for (const p of search.paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      if (search.from !== 'default') out.push(p); // a named file that is missing is worth reporting
      continue;
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    try {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.json')) out.push(path.join(p, f));
    } catch {
      /* unreadable directory: the loader skips it too */
    }
  }
  return [...new Set(out)];
}

function dynamicOf(file: string): { needed: string[]; rpath?: string[]; runpath?: string[]; machine: number } {
  const elf = new ElfFile(file);
  try {
    const d = elf.dynamic();
    return { needed: d.needed, rpath: d.rpath, runpath: d.runpath, machine: elf.machine };
  } finally {
    elf.close();
  }
}

function readDriver(manifest: string, e: VulkanEnvironment, loader: LibLookup, vkDyn?: NeedingObject): VulkanDriver[] {
  const base = { manifest, missing: [] as string[], loads: false };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (err) {
    const x = err as NodeJS.ErrnoException;
    const error = x.code === 'ENOENT' ? 'the file does not exist' : `not a readable ICD manifest: ${x.message}`;
    return [
      { ...base, kind: SOFTWARE.test(manifest) ? 'software' : /nvidia/i.test(manifest) ? 'nvidia' : 'gpu', error },
    ];
  }
  const j = json as { ICD?: { library_path?: unknown; api_version?: unknown }; ICDs?: unknown };
  const entries = Array.isArray(j.ICDs) ? (j.ICDs as (typeof j.ICD)[]) : [j.ICD];
  return entries.map((icd) => {
    const library = typeof icd?.library_path === 'string' ? icd.library_path : undefined;
    const kind: VulkanDriver['kind'] = SOFTWARE.test(library ?? manifest)
      ? 'software'
      : /nvidia/i.test(library ?? manifest)
        ? 'nvidia'
        : 'gpu';
    const d: VulkanDriver = {
      ...base,
      missing: [],
      library,
      apiVersion: typeof icd?.api_version === 'string' ? icd.api_version : undefined,
      kind,
    };
    if (!library) return { ...d, error: 'the manifest names no ICD.library_path' };
    // A bare name goes through dlopen's search from the loader library; a relative path is relative
    // to the manifest; an absolute one is used as it is.
    const found = library.includes('/')
      ? resolveNeeded(path.resolve(path.dirname(manifest), library), { path: manifest }, e.loader)
      : resolveNeeded(library, vkDyn ?? { path: loader.path ?? '/' }, e.loader);
    d.searched = found.searched;
    if (!found.path) return d;
    d.path = found.path;
    d.via = found.via;
    try {
      const dyn = dynamicOf(found.path);
      if (e.machine && dyn.machine !== e.machine)
        return {
          ...d,
          skipped: `a driver for another architecture (ELF machine ${dyn.machine}): the loader ignores it`,
        };
      const obj = { path: found.path, rpath: dyn.rpath, runpath: dyn.runpath };
      d.missing = dyn.needed.filter((n) => !SYSTEM_LIBS.test(n) && !resolveNeeded(n, obj, e.loader).path);
    } catch (err) {
      const msg = (err as Error).message;
      if (/32-bit ELF/.test(msg))
        return { ...d, skipped: 'a 32-bit driver (for 32-bit programs): the loader ignores it' };
      return { ...d, error: msg };
    }
    return { ...d, loads: d.missing.length === 0 };
  });
}

export function inspectVulkan(e: VulkanEnvironment): VulkanReport {
  const loader = resolveNeeded(VULKAN_LOADER, e.caller ?? { path: '/' }, e.loader);
  let vkDyn: NeedingObject | undefined;
  if (loader.path)
    try {
      const d = dynamicOf(loader.path);
      vkDyn = { path: loader.path, rpath: d.rpath, runpath: d.runpath };
    } catch {
      vkDyn = { path: loader.path };
    }
  const search = icdSearch(e.env, e.home);
  const drivers = manifestFiles(search).flatMap((m) => readDriver(m, e, loader, vkDyn));
  const usable = drivers.filter((d) => d.loads);
  return {
    loader,
    search,
    drivers,
    deviceNodes: e.deviceNodes,
    softwareOnly: usable.length > 0 && (usable.every((d) => d.kind === 'software') || e.deviceNodes.length === 0),
    nvidiaGpu: e.nvidiaGpu,
    container: e.container,
    nvidiaCapabilities: e.env.NVIDIA_DRIVER_CAPABILITIES,
  };
}

/** What the NVIDIA container runtime mounts when NVIDIA_DRIVER_CAPABILITIES is unset. */
const DEFAULT_CAPABILITIES = 'utility,compute';

function hasGraphics(caps: string | undefined): boolean {
  const list = (caps ?? DEFAULT_CAPABILITIES).split(',').map((c) => c.trim());
  return list.includes('graphics') || list.includes('all');
}

const FULL_DRIVER =
  "NVIDIA's full driver with its Vulkan driver (nvidia_icd.json -> libGLX_nvidia.so.0): libnvidia-gl-<driver branch> on Ubuntu, nvidia-vulkan-icd on Debian, or the .run installer without --no-opengl-files (the compute-only install has no Vulkan driver)";
const CONTAINER_FLAG =
  'start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all), e.g. `docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=all ...`';

/** Why Vulkan cannot give WebGPU a (hardware) adapter, the deciding problem first; [] when nothing is wrong. */
export function vulkanProblems(r: VulkanReport): DeviceProblem[] {
  const out: DeviceProblem[] = [];
  const add = (code: DeviceProblem['code'], message: string, fix: string) =>
    out.push({ code, device: 'webgpu', message, fix });
  if (!r.loader.path)
    add(
      'vulkan-missing',
      `the Vulkan loader ${VULKAN_LOADER}, which WebGPU (Dawn) opens, is not where the dynamic loader looks (searched ${describeSearch(r.loader)})`,
      'install libvulkan1 (Debian/Ubuntu; vulkan-loader on Fedora/RHEL)',
    );
  const where =
    r.search.from === 'default'
      ? r.search.paths.join(', ')
      : `${r.search.paths.join(', ')} (${r.search.from} replaces the default directories)`;
  const nvidia = r.drivers.filter((d) => d.kind === 'nvidia' && !d.skipped);
  if (r.nvidiaGpu && r.container && !hasGraphics(r.nvidiaCapabilities) && !nvidia.some((d) => d.loads))
    add(
      'nvidia-graphics-capability',
      `this container's NVIDIA_DRIVER_CAPABILITIES is ${r.nvidiaCapabilities === undefined ? `unset (the NVIDIA container runtime then mounts ${DEFAULT_CAPABILITIES})` : `"${r.nvidiaCapabilities}"`}: without "graphics" the runtime mounts no NVIDIA Vulkan driver (nvidia_icd.json, libGLX_nvidia.so.0)`,
      CONTAINER_FLAG,
    );
  else if (r.nvidiaGpu && nvidia.length && !nvidia.some((d) => d.loads)) {
    const d = nvidia[0];
    const why = d.error
      ? `${d.manifest}: ${d.error}`
      : !d.path
        ? `${d.manifest} names ${d.library}, which the dynamic loader cannot find (searched ${[...new Set(d.searched)].join(', ')})`
        : `${d.manifest} names ${d.path}, which needs ${d.missing.join(', ')} that the dynamic loader cannot find`;
    add(
      'vulkan-driver-broken',
      `NVIDIA's Vulkan driver cannot load: ${why}`,
      `reinstall ${FULL_DRIVER}${r.container ? `; in a container, ${CONTAINER_FLAG}` : ''}`,
    );
  } else if (r.nvidiaGpu && !nvidia.length)
    add(
      'nvidia-vulkan-missing',
      `this machine has an NVIDIA GPU but no NVIDIA Vulkan driver: no driver manifest in ${where} names libGLX_nvidia.so.0`,
      `install ${FULL_DRIVER}${r.container ? `; in a container, ${CONTAINER_FLAG}` : ''}`,
    );
  if (!r.drivers.some((d) => d.loads) && !out.some((p) => p.code !== 'vulkan-missing')) {
    const broken = r.drivers.filter((d) => !d.skipped);
    add(
      'vulkan-no-driver',
      broken.length
        ? `no Vulkan driver loads: ${broken
            .map((d) =>
              d.error
                ? `${d.manifest} (${d.error})`
                : !d.path
                  ? `${d.manifest} names ${d.library}, not found`
                  : `${d.path} needs ${d.missing.join(', ')}, not found`,
            )
            .join('; ')}`
        : `no Vulkan driver manifest (ICD JSON) in ${where}`,
      "a GPU's Vulkan driver (NVIDIA: the full driver with nvidia_icd.json), or mesa-vulkan-drivers for Mesa's software adapter lavapipe (tests only: about 100x slower than the CPU)",
    );
  }
  return out;
}

/** One line per fact, for `textclf doctor`. */
export function describeVulkan(r: VulkanReport): string[] {
  const out = [
    `loader   ${VULKAN_LOADER} -> ${r.loader.path ? `${r.loader.path} (${r.loader.via})` : 'NOT FOUND'}`,
    `drivers  from ${r.search.from === 'default' ? 'the default directories' : r.search.from}: ${r.search.paths.join(', ')}`,
    `devices  ${r.deviceNodes.length ? r.deviceNodes.join(', ') : 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*): only a software driver can give an adapter'}`,
  ];
  for (const d of r.drivers) {
    const state = d.skipped
      ? `skipped: ${d.skipped}`
      : d.error
        ? `unusable: ${d.error}`
        : !d.path
          ? 'NOT FOUND'
          : d.missing.length
            ? `${d.path}, needs ${d.missing.join(', ')}: NOT FOUND`
            : `${d.path} (${d.via})${d.kind === 'software' ? ', software' : ''}`;
    out.push(`  icd    ${d.manifest} -> ${d.library ?? '?'}: ${state}`);
  }
  if (r.nvidiaGpu && r.container)
    out.push(`NVIDIA_DRIVER_CAPABILITIES ${r.nvidiaCapabilities ?? `unset (${DEFAULT_CAPABILITIES})`}`);
  return out;
}
