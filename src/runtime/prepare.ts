// The one call a training run makes before it reads any data: gather what the request needs (the
// CUDA preflight; for WebGPU the Vulkan checks, ONNX Runtime's WebGPU EP in a child process and
// Dawn's adapter details), decide, then run the probe on the GPU chosen (callers that train inject
// one real training step; a failure is a typed problem and the decision is made again), log it.
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import { chooseCudaBuild, selectedGpus, type CudaBuildChoice } from './cuda-build.js';
import { inspectCudaProvider, type CudaProviderInfo } from './cuda-provider.js';
import { describeSource, readProviderManifest, type ProviderManifest } from './cuda-provider-fetch.js';
import { preflightCuda, type CudaVerdict } from './cuda-preflight.js';
import { ortBinaryDir, parseDeviceRequest, type Device, type DeviceRequest } from './device.js';
import { queryNvidiaGpus, type GpuQuery } from './nvidia-smi.js';
import { checkMixedPrecision, type HalfType } from './precision.js';
import { probeDevice, probeProblem, type ProbeOptions, type ProbeResult } from './probe.js';
import { decideDevice, factsNeeded, type DeviceAsk, type DeviceFacts, type WebgpuVerdict } from './select.js';
import { inspectVulkan, vulkanEnvironment, vulkanProblems, type VulkanReport } from './vulkan.js';
import { queryWebgpuAdapters, type AdapterQuery, type WebgpuAdapter } from './webgpu.js';
import { probeWebgpuOrt, type WebgpuOrtProbe } from './webgpu-probe.js';

export interface CpuFacts {
  /** Logical CPUs the OS reports, and how many this process may use (cgroups, affinity). */
  cores: number;
  threads: number;
  model?: string;
}

export interface CudaReport {
  verdict: CudaVerdict;
  provider: CudaProviderInfo;
  smi: GpuQuery;
  /** The provider build the GPUs the run would use need (cuda_build auto), and why. */
  build: CudaBuildChoice;
  /** The installed provider's record (textclf provision / the action wrote it): build, source, reason. */
  installed?: ProviderManifest;
  /** The training-step probe, when CUDA was chosen and its static checks passed. */
  probe?: ProbeResult;
}

export interface WebgpuReport {
  verdict: WebgpuVerdict;
  adapters: AdapterQuery;
  /** ONNX Runtime's WebGPU EP, asked in a child process (float32 and float16 one-node sessions). */
  ort: WebgpuOrtProbe;
  /** ONNX Runtime's answer: the EP runs float16 here (shader-f16). Undefined when the EP does not start. */
  shaderF16?: boolean;
  /** The Vulkan loader and drivers (Linux). */
  vulkan?: VulkanReport;
  /** The training-step probe, when WebGPU was chosen. */
  probe?: ProbeResult;
}

export interface GatheredFacts {
  cpu: CpuFacts;
  cuda?: CudaReport;
  webgpu?: WebgpuReport;
}

export interface PreparedDevice {
  device: Device;
  reason: string;
  warnings: string[];
  facts: GatheredFacts;
}

/** How facts are gathered; tests and `doctor` replace parts. */
export interface FactSources {
  platform: string;
  ortBinDir: () => string | undefined;
  nvidiaSmi: () => Promise<GpuQuery>;
  inspectProvider: (binDir: string) => CudaProviderInfo;
  /**
   * Runs the device before training is started on it. The default is a one-node session; the
   * callers that train inject the engine's training-step probe (src/engine/probe-step.ts).
   */
  probe: (d: Device, o?: ProbeOptions) => Promise<ProbeResult>;
  webgpuOrt: () => Promise<WebgpuOrtProbe>;
  adapters: () => Promise<AdapterQuery>;
  /** The Vulkan checks (undefined off Linux); `nvidiaGpu` when nvidia-smi already told. */
  vulkan: (nvidiaGpu?: boolean) => VulkanReport | undefined;
}

export const defaultSources = (): FactSources => ({
  platform: `${process.platform}/${process.arch}`,
  ortBinDir: ortBinaryDir,
  nvidiaSmi: () => queryNvidiaGpus(),
  inspectProvider: (dir) => inspectCudaProvider(dir),
  probe: probeDevice,
  webgpuOrt: () => probeWebgpuOrt(),
  adapters: () => queryWebgpuAdapters(),
  vulkan: (nvidiaGpu) =>
    process.platform === 'linux'
      ? inspectVulkan(vulkanEnvironment({ nvidiaGpu, ortLibDir: ortBinaryDir() }))
      : undefined,
});

export function cpuFacts(): CpuFacts {
  const cpus = os.cpus();
  return { cores: cpus.length, threads: os.availableParallelism(), model: cpus[0]?.model?.trim() };
}

/** The static CUDA checks: provider, libraries, driver, GPU architecture. */
export async function gatherCuda(src: FactSources, deviceId = 0): Promise<CudaReport> {
  const bin = src.ortBinDir();
  const [provider, smi] = await Promise.all([
    Promise.resolve(
      bin
        ? src.inspectProvider(bin)
        : {
            path: 'onnxruntime-node/bin (not found)',
            present: false,
            sharedPresent: false,
            needed: [],
            indirect: [],
            hints: {},
          },
    ),
    src.nvidiaSmi(),
  ]);
  const build = smi.gpus
    ? chooseCudaBuild('auto', selectedGpus(smi.gpus, { deviceId, gpus: 1 }))
    : chooseCudaBuild('auto', [], smi.error);
  const installed = bin ? readProviderManifest(bin) : undefined;
  return {
    verdict: preflightCuda({ platform: src.platform, provider, smi }, deviceId),
    provider,
    smi,
    build,
    ...(installed ? { installed } : {}),
  };
}

/** The adapter ONNX Runtime gets: it asks Dawn for a high-performance one. */
function ortAdapter(q: AdapterQuery): WebgpuAdapter | undefined {
  return q.adapters?.find((a) => a.powerPreference.includes('high-performance')) ?? q.adapters?.[0];
}

/**
 * ONNX Runtime's WebGPU EP (the authority: does it start, does it run float16), the Vulkan checks
 * (why not, in words a user can act on) and Dawn's adapter details (which adapter, a software one?).
 */
export async function gatherWebgpu(src: FactSources, nvidiaGpu?: boolean): Promise<WebgpuReport> {
  const [ort, adapters] = await Promise.all([src.webgpuOrt(), src.adapters()]);
  const vulkan = src.vulkan(nvidiaGpu);
  const vproblems = vulkan ? vulkanProblems(vulkan) : [];
  let verdict: WebgpuVerdict;
  if (ort.ok) {
    const adapter = ortAdapter(adapters);
    const software = adapter
      ? adapter.isFallbackAdapter || /software|cpu/i.test(adapter.architecture)
      : (vulkan?.softwareOnly ?? false);
    const softwareWhy =
      !adapter && vulkan?.softwareOnly
        ? vulkan.deviceNodes.length
          ? `the only Vulkan drivers are software ones: ${vulkan.drivers
              .filter((d) => d.loads)
              .map((d) => d.library)
              .join(', ')}`
          : 'this machine has no GPU device node for a Vulkan driver: /dev/dri/renderD*, /dev/nvidia*'
        : undefined;
    verdict = {
      ok: true,
      adapter,
      detail: adapters.error,
      software,
      ...(softwareWhy ? { softwareWhy } : {}),
      ...(vproblems.length ? { notes: vproblems } : {}),
    };
  } else
    verdict = {
      ok: false,
      problems: [
        probeProblem({ kind: 'webgpu' }, ort.ortMessage ?? 'no answer', { dawn: ort.dawn, vulkan: vproblems }),
      ],
    };
  return { verdict, adapters, ort, shaderF16: ort.ok ? ort.shaderF16 : undefined, vulkan };
}

export interface PrepareOptions {
  /** 'auto' | 'cpu' | 'webgpu' | 'cuda' | 'cuda:N' (the `device` flag). */
  device: string | DeviceRequest;
  gpus: number;
  allowCpuFallback: boolean;
  log: Logger;
  /** The run's mixed precision: checked against the device chosen, and probed on a GPU. */
  precision?: { compute?: HalfType; allowCpu?: boolean };
  /** How messages spell flags (default: the CLI's `--flag value`). */
  flagStyle?: DeviceAsk['flagStyle'];
  sources?: Partial<FactSources>;
}

/**
 * Decides the device for a run: throws DeviceUnavailableError (named reason + what to do) when the
 * requested device cannot run and no fallback applies, PrecisionError when it cannot train in the
 * requested precision. Call before reading any data.
 */
export async function prepareDevice(o: PrepareOptions): Promise<PreparedDevice> {
  const request = typeof o.device === 'string' ? parseDeviceRequest(o.device) : o.device;
  const src = { ...defaultSources(), ...o.sources };
  const ask: DeviceAsk = { request, gpus: o.gpus, allowCpuFallback: o.allowCpuFallback, flagStyle: o.flagStyle };
  const facts: GatheredFacts = { cpu: cpuFacts() };
  const verdicts: DeviceFacts = {};
  const compute = o.precision?.compute;
  for (;;) {
    for (let need = factsNeeded(ask, verdicts); need.length; need = factsNeeded(ask, verdicts)) {
      if (need.includes('cuda')) {
        facts.cuda = await gatherCuda(src, request.kind === 'cuda' ? request.deviceId : 0);
        verdicts.cuda = facts.cuda.verdict;
      }
      if (need.includes('webgpu')) {
        facts.webgpu = await gatherWebgpu(src, facts.cuda?.smi.gpus ? facts.cuda.smi.gpus.length > 0 : undefined);
        verdicts.webgpu = facts.webgpu.verdict;
      }
    }
    const choice = decideDevice(ask, verdicts);
    const { device } = choice;
    checkMixedPrecision(device, compute, { allowCpu: o.precision?.allowCpu, webgpuShaderF16: facts.webgpu?.shaderF16 });
    const report = device.kind === 'cuda' ? facts.cuda : device.kind === 'webgpu' ? facts.webgpu : undefined;
    if (report && !report.probe) {
      report.probe = await src.probe(device, { compute });
      if (!report.probe.ok) {
        const failed = { ok: false as const, problems: [probeProblem(device, report.probe)] };
        report.verdict = failed;
        if (device.kind === 'cuda') verdicts.cuda = failed;
        else verdicts.webgpu = failed;
        continue; // decided again without that device
      }
    }
    o.log.info(choice.reason);
    const record = device.kind === 'cuda' ? cudaProviderRecord(facts) : undefined;
    if (record)
      o.log.info(
        `CUDA provider: the CUDA ${record.build} build of onnxruntime-node ${record.version} from ${record.source}, in ${record.cachedAt}. ${record.reason}`,
      );
    for (const w of choice.warnings) o.log.warning(w);
    return { ...choice, facts };
  }
}

/** What metrics.json and doctor say about the installed CUDA provider (when textclf provisioned it). */
export interface CudaProviderRecord {
  build: '12' | '13';
  /** Why this build was provisioned (GPU, compute capability, driver, or the cuda_build request). */
  reason: string;
  version: string;
  source: string;
  /** The onnxruntime-node copy that carries it (a tool-cache entry, or node_modules). */
  cachedAt: string;
  sha512?: string;
  fallback?: string;
}

export function cudaProviderRecord(facts: GatheredFacts): CudaProviderRecord | undefined {
  const m = facts.cuda?.installed;
  if (!m) return undefined;
  return {
    build: String(m.build) as '12' | '13',
    reason: m.reason,
    version: m.version,
    source: describeSource(m.source),
    cachedAt: path.resolve(path.dirname(facts.cuda!.provider.path), '..', '..', '..', '..'),
    ...(m.nupkg ? { sha512: m.nupkg.sha512 } : {}),
    ...(m.fallback ? { fallback: m.fallback } : {}),
  };
}
