// One copy of the onnxruntime-node package (and the onnxruntime-common it needs) laid out as
// <prefix>/node_modules/{onnxruntime-node,onnxruntime-common}: copied from a local install (the
// action's own node_modules, the CLI's, a tool-cache entry) or installed from npm registry
// tarballs. Only this platform's native binaries are kept (the package carries every platform's,
// ≈290 MB; one platform is ≈50 MB), and never another entry's CUDA provider.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { packageVersion, type NpmRegistry } from './npm-fetch.js';
import { ORT_PACKAGE } from './ort-version.js';

export const COMMON_PACKAGE = 'onnxruntime-common';

export function binDir(ortDir: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(ortDir, 'bin', 'napi-v6', platform, arch);
}

/** The package at `dir` is onnxruntime-node `version` with a native binding for platform/arch. */
export function usable(dir: string, version: string, platform: string, arch: string): boolean {
  return packageVersion(dir) === version && existsSync(join(binDir(dir, platform, arch), 'onnxruntime_binding.node'));
}

/** onnxruntime-node installed for `root` (resolved as `require` from root/package.json would), if any. */
export function installedOrt(root: string): string | undefined {
  try {
    return join(createRequire(join(root, 'package.json')).resolve(`${ORT_PACKAGE}/package.json`), '..');
  } catch {
    return undefined;
  }
}

/** onnxruntime-common as onnxruntime-node resolves it (its "exports" hide package.json). */
export function commonOf(ortDir: string): string | undefined {
  const lookup = createRequire(join(ortDir, 'package.json')).resolve.paths(COMMON_PACKAGE) ?? [];
  return lookup.map((d) => join(d, COMMON_PACKAGE)).find((d) => existsSync(join(d, 'package.json')));
}

/** Provider libraries and their manifest belong to one entry: a copy never carries them along. */
const PROVIDER_FILE = /^(libonnxruntime_providers_\w+\.so|textclf-cuda-provider\.json)$/;

/**
 * Copies the package at `ortDir` (symlinks followed) and its onnxruntime-common into
 * `<prefix>/node_modules`, keeping only platform/arch's binaries and no provider libraries.
 */
export function copyOrtPackage(ortDir: string, prefix: string, platform: string, arch: string): void {
  const common = commonOf(ortDir);
  if (!common) throw new Error(`${COMMON_PACKAGE} is missing next to ${ortDir}`);
  const nm = join(prefix, 'node_modules');
  mkdirSync(nm, { recursive: true });
  const keep = (src: string) => {
    const rel = relative(ortDir, src).split(sep);
    if (rel[0] !== 'bin' || rel[1] !== 'napi-v6') return true;
    if (rel.length >= 3 && rel[2] !== platform) return false;
    if (rel.length >= 4 && rel[3] !== arch) return false;
    return !(rel.length === 5 && PROVIDER_FILE.test(rel[4]));
  };
  cpSync(ortDir, join(nm, ORT_PACKAGE), { recursive: true, dereference: true, filter: keep });
  cpSync(common, join(nm, COMMON_PACKAGE), { recursive: true, dereference: true });
}

/** Removes other platforms' binaries from an installed package. */
export function pruneBinaries(ortDir: string, platform: string, arch: string): void {
  const napi = join(ortDir, 'bin', 'napi-v6');
  for (const p of safeList(napi)) {
    if (p !== platform) rmSync(join(napi, p), { recursive: true, force: true });
    else for (const a of safeList(join(napi, p))) if (a !== arch) rmSync(join(napi, p, a), { recursive: true });
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Installs onnxruntime-node `version` (with onnxruntime-common; not the install script's own
 * dependencies, which only its CUDA download step used) from the registry into `prefix`.
 */
export async function installOrtPackage(
  registry: NpmRegistry,
  prefix: string,
  version: string,
  platform: string,
  arch: string,
): Promise<string[]> {
  const list = await registry.install(
    prefix,
    { [ORT_PACKAGE]: version },
    { skipDepsOf: { [ORT_PACKAGE]: ['adm-zip', 'global-agent'] } },
  );
  pruneBinaries(join(prefix, 'node_modules', ORT_PACKAGE), platform, arch);
  return list;
}
