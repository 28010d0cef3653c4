// Where the dynamic loader (glibc ld.so) would find each DT_NEEDED library of a shared object, in
// its order: DT_RPATH (only when there is no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH,
// /etc/ld.so.cache, then the system directories. /usr/local/cuda/lib64 is none of these unless
// the cache or a path names it, which is the usual reason "CUDA is installed" yet fails to load.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LdCache } from './ld-cache.js';

export type LookupVia = 'path' | 'DT_RPATH' | 'LD_LIBRARY_PATH' | 'DT_RUNPATH' | 'ld.so.cache' | 'system dirs';

export interface LibLookup {
  name: string;
  /** Where it was found; undefined when the loader would fail. */
  path?: string;
  via?: LookupVia;
  /** Every place looked in, in order (for the error message). */
  searched: string[];
}

export interface LoaderEnv {
  /** The LD_LIBRARY_PATH the process started with. */
  ldLibraryPath?: string;
  cache: LdCache;
  systemDirs: string[];
  /** Directories CUDA installers use that the loader does not search (for hints only). */
  installDirs?: string[];
  exists?: (p: string) => boolean;
}

export interface NeedingObject {
  /** The object's own path ($ORIGIN is its directory). */
  path: string;
  rpath?: string[];
  runpath?: string[];
}

/** glibc's built-in search path: multiarch directories on Debian/Ubuntu, lib64 on Red Hat-likes. */
export function systemDirs(arch: string = process.arch, exists: (p: string) => boolean = existsSync): string[] {
  const triple = arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  if (exists(`/lib/${triple}`) || exists(`/usr/lib/${triple}`))
    return [`/lib/${triple}`, `/usr/lib/${triple}`, '/lib', '/usr/lib'];
  return ['/lib64', '/usr/lib64'];
}

function expand(dir: string, origin: string): string {
  return dir.replace(/\$(?:\{ORIGIN\}|ORIGIN)/g, origin);
}

/** Resolves one DT_NEEDED name of `obj` as ld.so would. */
export function resolveNeeded(name: string, obj: NeedingObject, env: LoaderEnv): LibLookup {
  const exists = env.exists ?? existsSync;
  if (name.includes('/')) {
    const p = path.resolve(path.dirname(obj.path), name);
    return exists(p) ? { name, path: p, via: 'path', searched: [p] } : { name, searched: [p] };
  }
  const origin = path.dirname(obj.path);
  const searched: string[] = [];
  const tryDirs = (dirs: string[] | undefined, via: LookupVia): LibLookup | undefined => {
    for (const d of dirs ?? []) {
      const dir = expand(d, origin);
      const p = path.join(dir, name);
      searched.push(dir);
      if (exists(p)) return { name, path: p, via, searched };
    }
    return undefined;
  };
  const ldPath = (env.ldLibraryPath ?? '').split(/[:;]/).filter(Boolean);
  const found =
    (obj.runpath ? undefined : tryDirs(obj.rpath, 'DT_RPATH')) ??
    tryDirs(ldPath, 'LD_LIBRARY_PATH') ??
    tryDirs(obj.runpath, 'DT_RUNPATH');
  if (found) return found;
  searched.push('/etc/ld.so.cache');
  const cached = env.cache.get(name);
  if (cached && exists(cached)) return { name, path: cached, via: 'ld.so.cache', searched };
  return tryDirs(env.systemDirs, 'system dirs') ?? { name, searched };
}

/** A compact "where it looked" for messages: LD_LIBRARY_PATH dirs, RUNPATH dirs, cache, system dirs. */
export function describeSearch(l: LibLookup): string {
  return [...new Set(l.searched)].join(', ');
}
