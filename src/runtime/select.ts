// Which device a run gets, and why: a pure decision from the request (`device`, `gpus`,
// `allow_cpu_fallback`) and the facts gathered about CUDA and WebGPU.
//   cpu               -> the CPU
//   auto, gpus = 0    -> the CPU
//   auto, gpus >= 1   -> CUDA when its checks pass, else WebGPU when a hardware adapter works, else
//                        the CPU: with allow_cpu_fallback, or when WebGPU's only adapter is a
//                        software one (lavapipe, SwiftShader: the CPU itself, ~100x slower than
//                        ONNX Runtime's CPU EP), each with a warning; else an error naming both reasons
//   cuda[:N] / webgpu -> that device; when it cannot run: with allow_cpu_fallback the other GPU
//                        kind (cuda -> webgpu, never to a software adapter) or the CPU, with a
//                        warning; else an error. An explicit webgpu uses a software adapter, with a warning.
import type { CudaVerdict } from './cuda-preflight.js';
import { deviceName, DeviceUnavailableError, type Device, type DeviceProblem, type DeviceRequest } from './device.js';
import { describeAdapter, type WebgpuAdapter } from './webgpu.js';

export type WebgpuVerdict =
  | {
      ok: true;
      adapter?: WebgpuAdapter;
      detail?: string;
      /** The adapter ONNX Runtime gets is a software/fallback one (a CPU-type device). */
      software?: boolean;
      /** How that is known when Dawn's adapter details are not (the Vulkan checks). */
      softwareWhy?: string;
      /** Why there is no hardware adapter, when the Vulkan checks know (an NVIDIA GPU without its Vulkan driver). */
      notes?: DeviceProblem[];
    }
  | { ok: false; problems: DeviceProblem[] };

export interface DeviceFacts {
  cuda?: CudaVerdict;
  webgpu?: WebgpuVerdict;
}

export interface DeviceChoice {
  device: Device;
  /** One line for the log and the report. */
  reason: string;
  warnings: string[];
}

export interface DeviceAsk {
  request: DeviceRequest;
  gpus: number;
  allowCpuFallback: boolean;
  /** How messages spell a flag: `--allow_cpu_fallback true` (CLI, default) or `allow_cpu_fallback: true` (action). */
  flagStyle?: 'cli' | 'action';
}

/** Which facts a request needs before `decideDevice` can answer (WebGPU only once CUDA failed). */
export function factsNeeded(ask: DeviceAsk, facts: DeviceFacts): ('cuda' | 'webgpu')[] {
  const r = ask.request;
  if (r.kind === 'cpu' || (r.kind === 'auto' && ask.gpus <= 0)) return [];
  if (r.kind === 'webgpu') return facts.webgpu ? [] : ['webgpu'];
  if (!facts.cuda) return ['cuda'];
  // A failed CUDA check falls back to WebGPU (auto, allow_cpu_fallback) or mentions it in the error.
  return facts.cuda.ok || facts.webgpu ? [] : ['webgpu'];
}

function webgpuLine(w: WebgpuVerdict & { ok: true }): string {
  return w.adapter
    ? `WebGPU adapter ${describeAdapter(w.adapter)}`
    : `WebGPU (${w.detail ?? 'adapter details unavailable'})`;
}

/** Why a software adapter is not used, and what would give a hardware one. */
function softwareLine(w: WebgpuVerdict & { ok: true }): string {
  const note = w.notes?.[0];
  return (
    `WebGPU's only adapter is ${w.adapter ? describeAdapter(w.adapter) : `a software one (${w.softwareWhy ?? 'Vulkan has no GPU here'})`}, which runs on the CPU about 100x slower than the CPU device` +
    (note ? ` (${note.message}; to use the GPU: ${note.fix})` : '')
  );
}

function unavailable(what: string, problems: DeviceProblem[], extra: string[]): DeviceUnavailableError {
  const [first, ...rest] = problems;
  const parts = [`${what}: ${first.message}.`, `What to do: ${first.fix}.`, ...extra];
  if (rest.length) parts.push(`Also: ${rest.map((p) => p.message).join('; ')}.`);
  return new DeviceUnavailableError(parts.join(' '), problems);
}

function fallbackHint(style: DeviceAsk['flagStyle']): string {
  return style === 'action'
    ? 'Or set allow_cpu_fallback: true to train on the CPU with a warning.'
    : 'Or pass --allow_cpu_fallback true to train on the CPU with a warning.';
}

export function decideDevice(ask: DeviceAsk, facts: DeviceFacts): DeviceChoice {
  const r = ask.request;
  const cpu: Device = { kind: 'cpu' };
  const hint = fallbackHint(ask.flagStyle);
  if (r.kind === 'cpu') return { device: cpu, reason: 'device cpu (requested)', warnings: [] };
  if (r.kind === 'auto' && ask.gpus <= 0)
    return { device: cpu, reason: 'device auto with gpus=0: the CPU', warnings: [] };

  const w = facts.webgpu;
  if (r.kind === 'webgpu') {
    if (!w) throw new Error('decideDevice: WebGPU facts are missing');
    if (w.ok)
      return {
        device: r,
        reason: `device webgpu: ${webgpuLine(w)}`,
        warnings: w.software ? [`device webgpu: ${softwareLine(w)}; --device cpu trains faster`] : [],
      };
    if (ask.allowCpuFallback)
      return {
        device: cpu,
        reason: `device webgpu cannot run (${w.problems[0].message}); the CPU because allow_cpu_fallback is true`,
        warnings: [`device webgpu: ${w.problems[0].message}; training on the CPU because allow_cpu_fallback is true`],
      };
    throw unavailable('device webgpu cannot run on this machine', w.problems, [hint]);
  }

  const c = facts.cuda;
  if (!c) throw new Error('decideDevice: CUDA facts are missing');
  const cudaDevice: Device = r.kind === 'cuda' ? r : { kind: 'cuda', deviceId: 0 };
  const label = r.kind === 'auto' ? `device auto with gpus=${ask.gpus}` : `device ${deviceName(r)}`;
  if (c.ok)
    return {
      device: cudaDevice,
      reason: `${label}: ${deviceName(cudaDevice)}, ${c.summary}`,
      warnings: c.warnings,
    };

  const why = c.problems[0].message;
  // A software adapter is never a fallback: it is the CPU, only slower.
  const hardware = w?.ok && !w.software ? w : undefined;
  if (hardware && (r.kind === 'auto' || ask.allowCpuFallback)) {
    const reason = `${label}: CUDA cannot run (${why}); ${webgpuLine(hardware)}`;
    return {
      device: { kind: 'webgpu' },
      reason,
      warnings: r.kind === 'auto' ? [] : [`${reason}: training on WebGPU because allow_cpu_fallback is true`],
    };
  }
  if (w?.ok && w.software && (r.kind === 'auto' || ask.allowCpuFallback)) {
    const because = r.kind === 'auto' ? '' : ' (allow_cpu_fallback is true)';
    const line = `${label}: CUDA cannot run (${why}); ${softwareLine(w)}: training on the CPU${because}; --device webgpu would use that adapter anyway`;
    return { device: cpu, reason: line, warnings: [line] };
  }
  if (ask.allowCpuFallback) {
    const noGpu = w && !w.ok ? `; WebGPU cannot run either (${w.problems[0].message})` : '';
    return {
      device: cpu,
      reason: `${label}: CUDA cannot run (${why})${noGpu}; the CPU because allow_cpu_fallback is true`,
      warnings: [`${label}: CUDA cannot run (${why})${noGpu}; training on the CPU because allow_cpu_fallback is true`],
    };
  }
  const extra: string[] = [];
  if (w?.ok)
    extra.push(
      w.software
        ? `${softwareLine(w)}; --device cpu trains faster.`
        : `This machine has a ${webgpuLine(w)}: --device webgpu trains on it.`,
    );
  else if (w && r.kind === 'auto') extra.push(`WebGPU cannot run either: ${w.problems[0].message}.`);
  extra.push(hint);
  const what =
    r.kind === 'auto'
      ? `${label} needs a GPU, and CUDA cannot run`
      : `device ${deviceName(r)} cannot run on this machine`;
  throw unavailable(what, c.problems, extra);
}
