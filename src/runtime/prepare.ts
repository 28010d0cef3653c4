// The one call a training run makes before it reads any data: gather what the request needs
// (CUDA preflight + probe, WebGPU probe + adapter), decide, log the decision, return it.
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import { chooseCudaBuild, selectedGpus, type CudaBuildChoice } from './cuda-build.js';
import { inspectCudaProvider, type CudaProviderInfo } from './cuda-provider.js';
import { describeSource, readProviderManifest, type ProviderManifest } from './cuda-provider-fetch.js';
import { preflightCuda, type CudaVerdict } from './cuda-preflight.js';
import { ortBinaryDir, parseDeviceRequest, type Device, type DeviceRequest } from './device.js';
import { queryNvidiaGpus, type GpuQuery } from './nvidia-smi.js';
import { probeDevice, probeProblem } from './probe.js';
import { decideDevice, factsNeeded, type DeviceFacts, type WebgpuVerdict } from './select.js';
import { queryWebgpuAdapters, type AdapterQuery } from './webgpu.js';

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
  probe?: { ok: boolean; ms: number; ortMessage?: string };
}

export interface WebgpuReport {
  verdict: WebgpuVerdict;
  adapters: AdapterQuery;
  probe: { ok: boolean; ms: number; ortMessage?: string };
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
  probe: (d: Device) => ReturnType<typeof probeDevice>;
  adapters: () => Promise<AdapterQuery>;
}

export const defaultSources = (): FactSources => ({
  platform: `${process.platform}/${process.arch}`,
  ortBinDir: ortBinaryDir,
  nvidiaSmi: () => queryNvidiaGpus(),
  inspectProvider: (dir) => inspectCudaProvider(dir),
  probe: probeDevice,
  adapters: () => queryWebgpuAdapters(),
});

export function cpuFacts(): CpuFacts {
  const cpus = os.cpus();
  return { cores: cpus.length, threads: os.availableParallelism(), model: cpus[0]?.model?.trim() };
}

/** Static CUDA checks, then (when they pass) the probe run. */
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
  const facts = { provider, smi, build, ...(installed ? { installed } : {}) };
  let verdict = preflightCuda({ platform: src.platform, provider, smi }, deviceId);
  if (!verdict.ok) return { verdict, ...facts };
  const device: Device = { kind: 'cuda', deviceId };
  const p = await src.probe(device);
  if (!p.ok) verdict = { ok: false, problems: [probeProblem(device, p.ortMessage)] };
  return { verdict, ...facts, probe: p };
}

/** ONNX Runtime's WebGPU EP runs a one-node session (the authority), plus Dawn's adapter details. */
export async function gatherWebgpu(src: FactSources): Promise<WebgpuReport> {
  const [probe, adapters] = await Promise.all([src.probe({ kind: 'webgpu' }), src.adapters()]);
  const verdict: WebgpuVerdict = probe.ok
    ? { ok: true, adapter: adapters.adapters?.[0], detail: adapters.error }
    : { ok: false, problems: [probeProblem({ kind: 'webgpu' }, probe.ortMessage)] };
  return { verdict, adapters, probe };
}

export interface PrepareOptions {
  /** 'auto' | 'cpu' | 'webgpu' | 'cuda' | 'cuda:N' (the `device` flag). */
  device: string | DeviceRequest;
  gpus: number;
  allowCpuFallback: boolean;
  log: Logger;
  sources?: Partial<FactSources>;
}

/**
 * Decides the device for a run: throws DeviceUnavailableError (named reason + what to do) when the
 * requested device cannot run and no fallback applies. Call before reading any data.
 */
export async function prepareDevice(o: PrepareOptions): Promise<PreparedDevice> {
  const request = typeof o.device === 'string' ? parseDeviceRequest(o.device) : o.device;
  const src = { ...defaultSources(), ...o.sources };
  const ask = { request, gpus: o.gpus, allowCpuFallback: o.allowCpuFallback };
  const facts: GatheredFacts = { cpu: cpuFacts() };
  const verdicts: DeviceFacts = {};
  for (let need = factsNeeded(ask, verdicts); need.length; need = factsNeeded(ask, verdicts)) {
    if (need.includes('cuda')) {
      facts.cuda = await gatherCuda(src, request.kind === 'cuda' ? request.deviceId : 0);
      verdicts.cuda = facts.cuda.verdict;
    }
    if (need.includes('webgpu')) {
      facts.webgpu = await gatherWebgpu(src);
      verdicts.webgpu = facts.webgpu.verdict;
    }
  }
  const choice = decideDevice(ask, verdicts);
  o.log.info(choice.reason);
  const record = cudaProviderRecord(facts);
  if (record)
    o.log.info(
      `CUDA provider: the CUDA ${record.build} build of onnxruntime-node ${record.version} from ${record.source}, in ${record.cachedAt}. ${record.reason}`,
    );
  for (const w of choice.warnings) o.log.warning(w);
  return { ...choice, facts };
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
