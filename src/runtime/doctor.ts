// `textclf doctor`: what this machine can train on. Every device is checked the way a run would
// check it (the same preflight and probes), and `auto` is decided from those facts.
import { imageName } from './fatbin.js';
import { deviceName, type Device, type DeviceProblem } from './device.js';
import type { NvidiaGpu } from './nvidia-smi.js';
import { chooseCudaBuild } from './cuda-build.js';
import {
  cpuFacts,
  cudaProviderRecord,
  defaultSources,
  gatherCuda,
  gatherWebgpu,
  type CpuFacts,
  type CudaProviderRecord,
  type CudaReport,
  type FactSources,
  type WebgpuReport,
} from './prepare.js';
import { probeProblem } from './probe.js';
import { decideDevice } from './select.js';
import { describeVulkan, vulkanProblems, type VulkanReport } from './vulkan.js';
import type { WebgpuAdapter } from './webgpu.js';

type Status = { ok: true; summary: string } | { ok: false; problems: DeviceProblem[] };

export interface DoctorReport {
  platform: string;
  cpu: CpuFacts & { ok: boolean; error?: string };
  webgpu: Status & {
    adapters: WebgpuAdapter[];
    adapterError?: string;
    /** ONNX Runtime's own answer: its WebGPU EP ran a float16 session (what 16-mixed needs). */
    shaderF16?: boolean;
    shaderF16Error?: string;
    /** The adapter ONNX Runtime gets is a software one: `auto` does not use it. */
    software?: boolean;
    /** Dawn's and the Vulkan loader's stderr, in words. */
    dawn: string[];
    /** The Vulkan loader, the driver manifests and their libraries (Linux). */
    vulkan?: VulkanReport & { problems: DeviceProblem[] };
  };
  nvidia: { gpus: NvidiaGpu[]; error?: string };
  cuda: Status & {
    /** The CUDA provider build this machine's GPUs need (what cuda_build auto provisions); null without a GPU. */
    build: '12' | '13' | null;
    /** Why, in one sentence: each GPU's compute capability and driver. */
    buildReason: string;
    /** The installed provider as textclf provisioned it: build, why, source, where it is. */
    installed?: CudaProviderRecord;
    provider: {
      path: string;
      present: boolean;
      error?: string;
      cudaMajor?: number;
      cudnnMajor?: number;
      architectures?: string[];
      fatbins?: number;
      runpath?: string[];
      /** `atRunTime`: opened with dlopen when first needed (cuDNN since ORT 1.28), not linked. */
      libraries: { name: string; path?: string; via?: string; atRunTime?: boolean }[];
    };
  };
  /** What `device: auto` picks with gpus >= 1 (with gpus = 0 it is always the CPU). */
  auto: { device?: string; reason: string };
  /** At least one device runs. */
  ok: boolean;
}

/** The chosen-device probe, as a run would make it; a failure replaces the verdict. */
async function probeInto(src: FactSources, d: Device, r: CudaReport | WebgpuReport): Promise<void> {
  if (!r.verdict.ok) return;
  r.probe = await src.probe(d);
  if (!r.probe.ok) r.verdict = { ok: false, problems: [probeProblem(d, r.probe)] };
}

export async function runDoctor(sources: Partial<FactSources> = {}): Promise<DoctorReport> {
  const src = { ...defaultSources(), ...sources };
  const cpuProbe = await src.probe({ kind: 'cpu' });
  const cuda = await gatherCuda(src);
  await probeInto(src, { kind: 'cuda', deviceId: 0 }, cuda);
  const webgpu = await gatherWebgpu(src, cuda.smi.gpus ? cuda.smi.gpus.length > 0 : undefined);
  await probeInto(src, { kind: 'webgpu' }, webgpu);

  const p = cuda.provider;
  const build = cuda.smi.gpus ? chooseCudaBuild('auto', cuda.smi.gpus) : chooseCudaBuild('auto', [], cuda.smi.error);
  const installed = cudaProviderRecord({ cpu: cpuFacts(), cuda });
  const cudaStatus: Status = cuda.verdict.ok
    ? { ok: true, summary: `${cuda.verdict.summary}; a training step ran in ${cuda.probe?.ms} ms` }
    : { ok: false, problems: cuda.verdict.problems };
  const webgpuStatus: Status = webgpu.verdict.ok
    ? {
        ok: true,
        summary: `ONNX Runtime's WebGPU EP ran a test session in ${webgpu.ort.ms} ms and a training step in ${webgpu.probe?.ms} ms`,
      }
    : { ok: false, problems: webgpu.verdict.problems };

  let auto: DoctorReport['auto'];
  try {
    const c = decideDevice(
      { request: { kind: 'auto' }, gpus: 1, allowCpuFallback: false },
      { cuda: cuda.verdict, webgpu: webgpu.verdict },
    );
    auto = { device: deviceName(c.device), reason: c.reason };
  } catch (e) {
    auto = {
      device: cpuProbe.ok ? 'cpu' : undefined,
      reason: `gpus=0 (or --allow_cpu_fallback true) trains on the CPU; with gpus >= 1 training fails: ${(e as Error).message}`,
    };
  }

  return {
    platform: src.platform,
    cpu: { ...cpuFacts(), ok: cpuProbe.ok, ...(cpuProbe.ok ? {} : { error: cpuProbe.ortMessage }) },
    webgpu: {
      ...webgpuStatus,
      adapters: webgpu.adapters.adapters ?? [],
      ...(webgpu.adapters.error ? { adapterError: webgpu.adapters.error } : {}),
      shaderF16: webgpu.shaderF16,
      ...(webgpu.ort.shaderF16Error ? { shaderF16Error: webgpu.ort.shaderF16Error.trim().split('\n')[0] } : {}),
      ...(webgpu.verdict.ok ? { software: webgpu.verdict.software } : {}),
      dawn: webgpu.ort.dawn,
      ...(webgpu.vulkan ? { vulkan: { ...webgpu.vulkan, problems: vulkanProblems(webgpu.vulkan) } } : {}),
    },
    nvidia: cuda.smi.gpus ? { gpus: cuda.smi.gpus } : { gpus: [], error: cuda.smi.error },
    cuda: {
      ...cudaStatus,
      build: build.build ? (String(build.build) as '12' | '13') : null,
      buildReason: build.reason,
      ...(installed ? { installed } : {}),
      provider: {
        path: p.path,
        present: p.present,
        ...(p.error ? { error: p.error } : {}),
        cudaMajor: p.cudaMajor,
        cudnnMajor: p.cudnnMajor,
        architectures: p.images?.map(imageName),
        fatbins: p.fatbin?.fatbins,
        runpath: p.runpath,
        libraries: [
          ...[...p.needed, ...p.indirect].map((l) => ({ name: l.name, path: l.path, via: l.via })),
          ...(p.lazy ?? []).map((l) => ({ name: l.name, path: l.path, via: l.via, atRunTime: true })),
        ],
      },
    },
    auto,
    ok: cpuProbe.ok || webgpu.verdict.ok || cuda.verdict.ok,
  };
}

/** The report as text for a terminal. */
export function formatDoctor(r: DoctorReport): string {
  const out: string[] = [];
  const status = (s: Status) =>
    s.ok ? `works: ${s.summary}` : `unavailable: ${s.problems.map((p) => p.message).join('; ')}`;
  out.push(`platform   ${r.platform}`);
  out.push(
    `cpu        ${r.cpu.ok ? 'works' : `fails: ${r.cpu.error}`}: ${r.cpu.cores} cores, ${r.cpu.threads} usable threads${r.cpu.model ? ` (${r.cpu.model})` : ''}`,
  );
  out.push(`webgpu     ${status(r.webgpu)}`);
  for (const a of r.webgpu.adapters) {
    out.push(`  adapter  ${a.vendor} ${a.architecture}: ${a.description || a.device}`);
    out.push(
      `           fallback adapter: ${a.isFallbackAdapter ? 'yes' : 'no'}, shader-f16: ${a.shaderF16 ? 'yes' : 'no'}, ` +
        Object.entries(a.limits)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    );
  }
  if (r.webgpu.adapterError) out.push(`  adapters ${r.webgpu.adapterError}`);
  if (r.webgpu.shaderF16 !== undefined)
    out.push(
      `  float16  ${r.webgpu.shaderF16 ? "yes: ONNX Runtime's WebGPU EP runs float16 here (--precision 16-mixed)" : `no: ONNX Runtime's WebGPU EP cannot run float16 here${r.webgpu.shaderF16Error ? ` (${r.webgpu.shaderF16Error})` : ''}`}`,
    );
  if (r.webgpu.software)
    out.push('  software the adapter is a software one (it runs on the CPU): device auto trains on the CPU instead');
  for (const l of r.webgpu.dawn) out.push(`  dawn     ${l}`);
  if (r.webgpu.vulkan) for (const l of describeVulkan(r.webgpu.vulkan)) out.push(`  vulkan   ${l}`);
  const vulkanFixes = r.webgpu.vulkan?.problems ?? [];
  if (!r.webgpu.ok) for (const p of r.webgpu.problems) out.push(`  fix      ${p.fix}`);
  for (const p of vulkanFixes)
    if (r.webgpu.ok || !r.webgpu.problems.some((q) => q.code === p.code))
      out.push(`  problem  ${p.message}`, `  fix      ${p.fix}`);
  out.push(`nvidia     ${r.nvidia.error ?? `${r.nvidia.gpus.length} GPU(s)`}`);
  for (const g of r.nvidia.gpus)
    out.push(
      `  gpu ${g.index}    ${g.name}, compute capability ${g.computeCap}, driver ${g.driver}${g.memoryMiB ? `, ${g.memoryMiB} MiB` : ''}`,
    );
  const pv = r.cuda.provider;
  out.push(`cuda       ${status(r.cuda)}`);
  out.push(`  build    ${r.cuda.build ? `CUDA ${r.cuda.build}: ` : ''}${r.cuda.buildReason}`);
  const inst = r.cuda.installed;
  if (inst)
    out.push(
      `  installed CUDA ${inst.build} build of onnxruntime-node ${inst.version} from ${inst.source}, in ${inst.cachedAt}${inst.build !== r.cuda.build && r.cuda.build ? ` (this machine needs the CUDA ${r.cuda.build} build: textclf provision --cuda_build ${r.cuda.build})` : ''}`,
    );
  out.push(
    `  provider ${pv.path}${pv.present ? '' : ' (not installed)'}${pv.cudaMajor !== undefined ? `, CUDA ${pv.cudaMajor}` : ''}${pv.cudnnMajor !== undefined ? `, cuDNN ${pv.cudnnMajor}` : ''}`,
  );
  if (pv.architectures)
    out.push(`  kernels  ${pv.architectures.join(', ')} (in at least half of its ${pv.fatbins} fat binaries)`);
  for (const l of pv.libraries)
    out.push(
      `  ${l.atRunTime ? 'opens' : 'needs'}    ${l.name} -> ${l.path ? `${l.path} (${l.via})` : 'NOT FOUND'}${l.atRunTime ? ' (at run time)' : ''}`,
    );
  if (!r.cuda.ok) for (const p of r.cuda.problems) out.push(`  fix      ${p.fix}`);
  out.push(`auto       ${r.auto.device ?? 'nothing'}: ${r.auto.reason}`);
  return out.join('\n');
}
