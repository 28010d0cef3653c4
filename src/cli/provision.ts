// `textclf provision`: make a runner ready to train with no network at run time. Fetches
// onnxruntime-node (npm registry) and the CUDA provider build this machine's GPUs need (or the one
// --cuda_build names) into a tool-cache directory, verifies them, and prints what to copy where.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlagError, parseFlags } from '../config/parse.js';
import { chooseCudaBuild, type CudaBuildRequest } from '../runtime/cuda-build.js';
import { PROVIDER_LIBS, PROVIDER_MANIFEST } from '../runtime/cuda-provider-fetch.js';
import { defaultRegistry } from '../runtime/npm-fetch.js';
import { queryNvidiaGpus, type GpuQuery } from '../runtime/nvidia-smi.js';
import { ORT_VERSION } from '../runtime/ort-version.js';
import { binDir, describeSource, resolveOrt, type OrtRuntime } from '../runtime/provision.js';
import type { Logger } from '../util/logger.js';

export interface ProvisionDeps {
  /** nvidia-smi's answer (tests replace it). */
  nvidiaSmi?: () => Promise<GpuQuery>;
  /** Where textclf itself is installed: its onnxruntime-node is copied instead of downloaded. */
  installDir?: string;
  out?: (s: string) => void;
}

const installRoot = () => join(dirname(fileURLToPath(import.meta.url)), '..');

export async function provisionCommand(
  raw: Record<string, string>,
  log: Logger,
  deps: ProvisionDeps = {},
): Promise<number> {
  const flags = parseFlags(raw, 'cli', 'provision');
  const out = deps.out ?? ((s: string) => process.stdout.write(s));
  const root = flags.dir ?? process.env.RUNNER_TOOL_CACHE;
  if (!root)
    throw new FlagError(
      'dir',
      '--dir is required (the tool-cache directory to fill) unless RUNNER_TOOL_CACHE is set: e.g. textclf provision --dir toolcache',
    );
  const platform = process.platform,
    arch = process.arch;
  const smi = await (deps.nvidiaSmi ?? (() => queryNvidiaGpus()))();
  const common = {
    log,
    copyFrom: deps.installDir ?? installRoot(),
    registry: flags.npm_registry ?? defaultRegistry(),
    registryToken: process.env.NPM_TOKEN,
    toolCache: root,
  };
  const cudaPlatform = platform === 'linux' && arch === 'x64';
  const choice = chooseCudaBuild(
    flags.cuda_build as CudaBuildRequest,
    smi.gpus ?? [],
    smi.gpus ? undefined : smi.error,
  );
  if (choice.build && !cudaPlatform)
    throw new FlagError(
      'cuda_build',
      `the CUDA provider exists for Linux x64 only; this machine is ${platform}/${arch}`,
    );

  const entries: OrtRuntime[] = [];
  if (choice.build) {
    const rt = await resolveOrt({
      ...common,
      cuda: {
        build: flags.cuda_build as CudaBuildRequest,
        gpus: smi.gpus ?? [],
        noGpu: smi.gpus ? undefined : smi.error,
        providerUrl: flags.cuda_provider_url,
        providerDir: flags.cuda_provider_dir,
      },
    });
    entries.push(rt);
  } else {
    log.info(choice.reason);
  }
  // CPU and WebGPU runs: the CUDA entry serves them unless it is another (fallback) version.
  if (!entries.some((e) => e.version === ORT_VERSION)) entries.push(await resolveOrt(common));

  out(report(root, entries, choice.build === undefined));
  return 0;
}

/** What was put where, and what to copy for the action (tool cache) and for the CLI (two libraries). */
function report(root: string, entries: OrtRuntime[], cpuOnly: boolean): string {
  const lines = [`tool cache: ${root}`, ''];
  for (const e of entries) {
    const entry = relative(root, join(e.dir, '..', '..'));
    const p = e.provider;
    lines.push(
      `  ${entry}/  onnxruntime-node ${e.version}${p ? ` with the CUDA ${p.build} provider (${describeSource(p.source)}${p.nupkg ? `, ${p.nupkg.size} bytes, SHA-512 ${p.nupkg.sha512}` : ''})` : ' (CPU and WebGPU)'}`,
    );
    if (p) lines.push(`      why: ${p.reason}`);
    if (p?.fallback) lines.push(`      note: ${p.fallback}`);
    if (e.source === 'tool-cache') lines.push('      (already there: nothing fetched)');
  }
  lines.push(
    '',
    "For the action on a runner without registry or NuGet access: copy each folder above and the .complete file beside it into the runner's tool cache (RUNNER_TOOL_CACHE; <runner>/_work/_tool by default), keeping the layout, e.g.",
    `  rsync -a ${root}/ <runner>/_work/_tool/`,
  );
  const cuda = entries.find((e) => e.provider);
  if (cuda) {
    const bin = binDir(cuda.dir, 'linux', 'x64');
    lines.push(
      '',
      `For the CLI (textclf installed with npm): copy the provider libraries and their record next to onnxruntime-node ${cuda.version}'s native binding:`,
      `  cp ${[...PROVIDER_LIBS, PROVIDER_MANIFEST].map((f) => join(bin, f)).join(' ')} node_modules/onnxruntime-node/bin/napi-v6/linux/x64/`,
    );
    if (cuda.version !== ORT_VERSION)
      lines.push(
        `  (this provider is ${cuda.version}: it works only with onnxruntime-node ${cuda.version}; the action uses the whole ${relative(root, join(cuda.dir, '..', '..'))} folder)`,
      );
  } else if (cpuOnly) {
    lines.push(
      '',
      'No CUDA provider was fetched (no NVIDIA GPU here): for a GPU runner pass --cuda_build 12 (V100, or a driver older than 580.65.06) or --cuda_build 13.',
    );
  }
  return lines.join('\n') + '\n';
}
