// onnxruntime-node is native (≈290 MB of binaries for all platforms), so the bundle does not carry
// it. At start the action finds it, in order: next to the action (its own node_modules), in the
// runner's tool cache, or provisions it into the tool cache from npm registry tarballs. With
// gpus > 0 on Linux x64 the CUDA 12 provider comes from onnxruntime-node's own install step.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tc from '@actions/tool-cache';
import type { Logger } from '../util/logger.js';
import { NpmRegistry, packageVersion, RegistryError } from './npm-fetch.js';
import { ORT_PACKAGE, ORT_VERSION } from './ort-version.js';
import { CUDA_PROVIDER_LIBS, DeviceError, parseDeviceRequest } from './device.js';

export type OrtSource = 'action' | 'tool-cache' | 'provisioned';

export interface OrtRuntime {
  /** Root of the onnxruntime-node package. */
  dir: string;
  version: string;
  source: OrtSource;
  /** The CUDA execution provider libraries are present. */
  cuda: boolean;
}

export interface ResolveOptions {
  gpus: number;
  log: Logger;
  /** Directory whose node_modules is tried first (the action's root). */
  actionDir?: string;
  registry: string;
  registryToken?: string;
  version?: string;
  platform?: NodeJS.Platform;
  arch?: string;
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

export function binDir(ortDir: string, platform: string = process.platform, arch: string = process.arch): string {
  return join(ortDir, 'bin', 'napi-v6', platform, arch);
}

export function hasCudaProvider(
  ortDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): boolean {
  return CUDA_PROVIDER_LIBS.every((f) => existsSync(join(binDir(ortDir, platform, arch), f)));
}

function usable(dir: string, version: string, platform: string, arch: string): boolean {
  return packageVersion(dir) === version && existsSync(join(binDir(dir, platform, arch), 'onnxruntime_binding.node'));
}

/** Tool-cache names: CPU installs and CUDA-enabled installs are cached separately. */
export const TOOL_CPU = ORT_PACKAGE;
export const TOOL_CUDA = `${ORT_PACKAGE}-cuda12`;

export async function resolveOrt(o: ResolveOptions): Promise<OrtRuntime> {
  const version = o.version ?? ORT_VERSION;
  const platform = o.platform ?? process.platform,
    arch = o.arch ?? process.arch;
  const wantCuda = o.gpus > 0 && platform === 'linux' && arch === 'x64';
  const acceptable = (dir: string) =>
    usable(dir, version, platform, arch) && (!wantCuda || hasCudaProvider(dir, platform, arch));

  if (o.actionDir) {
    try {
      const dir = join(createRequire(join(o.actionDir, 'package.json')).resolve(`${ORT_PACKAGE}/package.json`), '..');
      if (acceptable(dir)) {
        o.log.info(`onnxruntime-node ${version}: using the action's own copy at ${dir}`);
        return { dir, version, source: 'action', cuda: hasCudaProvider(dir, platform, arch) };
      }
      o.log.info(
        `onnxruntime-node next to the action (${dir}) is ${packageVersion(dir)}${wantCuda ? ' or lacks the CUDA provider' : ''}; looking further`,
      );
    } catch {
      /* not installed next to the action */
    }
  }

  // A CUDA-enabled install also serves CPU runs.
  for (const tool of [TOOL_CPU, TOOL_CUDA]) {
    const root = tc.find(tool, version, arch);
    if (!root) continue;
    const dir = join(root, 'node_modules', ORT_PACKAGE);
    if (acceptable(dir)) {
      o.log.info(`onnxruntime-node ${version}: using the tool cache (${dir})`);
      return { dir, version, source: 'tool-cache', cuda: hasCudaProvider(dir, platform, arch) };
    }
  }

  return provision(o, version, wantCuda, platform, arch);
}

async function provision(
  o: ResolveOptions,
  version: string,
  cuda: boolean,
  platform: string,
  arch: string,
): Promise<OrtRuntime> {
  const tool = cuda ? TOOL_CUDA : TOOL_CPU;
  const temp = process.env.RUNNER_TEMP;
  if (!temp || !process.env.RUNNER_TOOL_CACHE)
    throw new RegistryError('RUNNER_TEMP and RUNNER_TOOL_CACHE must be set to provision onnxruntime-node');
  mkdirSync(temp, { recursive: true });
  const stage = mkdtempSync(join(temp, 'ort-'));
  try {
    const registry = new NpmRegistry({ registry: o.registry, token: o.registryToken });
    const installed = await o.log.group(`Provisioning onnxruntime-node ${version} from ${o.registry}`, async () => {
      // The install script's own dependencies (adm-zip, global-agent) matter only for CUDA.
      const list = await registry.install(
        stage,
        { [ORT_PACKAGE]: version },
        cuda ? {} : { skipDepsOf: { [ORT_PACKAGE]: ['adm-zip', 'global-agent'] } },
      );
      o.log.info(`installed ${list.join(', ')}`);
      const dir = join(stage, 'node_modules', ORT_PACKAGE);
      if (cuda) await installCuda(dir, o.log);
      return list;
    });
    const root = await tc.cacheDir(stage, tool, version, arch);
    const dir = join(root, 'node_modules', ORT_PACKAGE);
    if (!usable(dir, version, platform, arch)) {
      throw new RegistryError(
        `provisioned ${installed.join(', ')} into ${root} but ${binDir(dir, platform, arch)}/onnxruntime_binding.node is missing: onnxruntime-node ${version} has no binary for ${platform}/${arch}`,
      );
    }
    o.log.info(`onnxruntime-node ${version}: provisioned into the tool cache (${dir})`);
    return { dir, version, source: 'provisioned', cuda: hasCudaProvider(dir, platform, arch) };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Runs onnxruntime-node's own install step for the CUDA 12 provider (it downloads from NuGet). */
async function installCuda(dir: string, log: Logger): Promise<void> {
  const args = [join(dir, 'script', 'install.js'), '--onnxruntime-node-install'];
  log.info(
    `running onnxruntime-node's install step for the CUDA 12 provider: node script/install.js --onnxruntime-node-install`,
  );
  try {
    // Two traps in onnxruntime-node 1.30's script: env wins over argv (an inherited
    // npm_config_onnxruntime_node_install=skip makes it a no-op), and its parser drops the value
    // "cuda12" (returns undefined, then exits early inside npm). "true" forces this platform's
    // requirements, which on linux/x64 are exactly cuda12.
    const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'true' };
    delete env.npm_config_onnxruntime_node_install;
    delete env.ONNXRUNTIME_NODE_INSTALL_CUDA;
    delete env.npm_config_onnxruntime_node_install_cuda;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      cwd: dir,
      env,
      maxBuffer: 16 << 20,
      timeout: 15 * 60_000,
    });
    for (const line of `${stdout}${stderr}`.split('\n').filter(Boolean)) log.info(line);
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new RegistryError(
      `installing the CUDA 12 provider (node ${args.join(' ')}) failed: ${firstError(err.stderr || err.message)}. ` +
        'The step downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from NuGet: allow that host (or its proxy via GLOBAL_AGENT_HTTPS_PROXY), pre-install onnxruntime-node with CUDA into the tool cache, or set allow_cpu_fallback: true',
    );
  }
  if (!hasCudaProvider(dir, 'linux', 'x64'))
    throw new RegistryError(
      `onnxruntime-node's install step finished but ${CUDA_PROVIDER_LIBS.join(', ')} are missing in ${binDir(dir, 'linux', 'x64')}`,
    );
}

/** The first `...Error: message` line of a crashed node process, else its last line. */
function firstError(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^\w*Error\b.*:/.test(l)) ?? lines[lines.length - 1] ?? 'no output';
}

/** Loads the resolved package (CommonJS) so the bundle never imports it by name. */
export function loadOrt(rt: OrtRuntime): typeof import('onnxruntime-node') {
  return createRequire(join(rt.dir, 'package.json'))(rt.dir) as typeof import('onnxruntime-node');
}
