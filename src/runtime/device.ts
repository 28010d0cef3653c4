// Where the step graph runs: the CPU, WebGPU (Dawn inside onnxruntime-node's own library) or a
// CUDA device. Which one a run gets, and why, is decided in select.ts; this file holds the types,
// the execution providers for each, and the typed errors.
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { CUDA_PROVIDER_LIB, inspectCudaProvider, SHARED_PROVIDER_LIB } from './cuda-provider.js';

export type Device = { kind: 'cpu' } | { kind: 'webgpu' } | { kind: 'cuda'; deviceId: number };
/** What the user asked for: a device, or `auto` (decided from `gpus` and what the machine has). */
export type DeviceRequest = { kind: 'auto' } | Device;

export class DeviceError extends Error {
  override name = 'DeviceError';
  readonly flag = 'device';
}

/** Why a device cannot be used, named, with what to do about it. */
export type ProblemCode =
  | 'platform'
  | 'provider-missing'
  | 'provider-unreadable'
  | 'no-driver'
  | 'no-such-gpu'
  | 'library-missing'
  | 'driver-too-old'
  | 'gpu-arch-unsupported'
  | 'out-of-memory'
  | 'probe-failed'
  | 'no-adapter'
  | 'cublas-failed'
  | 'kernel-missing'
  | 'wrong-result'
  | 'vulkan-missing'
  | 'vulkan-no-driver'
  | 'vulkan-driver-broken'
  | 'nvidia-vulkan-missing'
  | 'nvidia-graphics-capability';

export interface DeviceProblem {
  code: ProblemCode;
  device: 'cuda' | 'webgpu';
  /** One line: what is wrong, with the facts (GPU, library, version). */
  message: string;
  /** What to do. */
  fix: string;
}

/** The requested device cannot run here (and no fallback was allowed). */
export class DeviceUnavailableError extends DeviceError {
  override name = 'DeviceUnavailableError';
  constructor(
    message: string,
    readonly problems: DeviceProblem[] = [],
  ) {
    super(message);
  }
  /** The first (deciding) problem's code. */
  get code(): ProblemCode | undefined {
    return this.problems[0]?.code;
  }
}

/** CUDA was requested but its provider cannot start; `missing` lists the libraries not found. */
export class CudaUnavailableError extends DeviceUnavailableError {
  override name = 'CudaUnavailableError';
  constructor(
    message: string,
    readonly missing: string[],
    readonly ortMessage: string,
    problems: DeviceProblem[] = [],
  ) {
    super(message, problems);
  }
}

const SPEC_HELP = "use 'auto', 'cpu', 'webgpu', 'cuda' or 'cuda:<id>' (e.g. cuda:1)";

/** 'auto', 'cpu', 'webgpu', 'cuda' (device 0) or 'cuda:N'. */
export function parseDeviceRequest(spec: string): DeviceRequest {
  const s = spec.trim().toLowerCase();
  if (s === 'auto') return { kind: 'auto' };
  if (s === 'cpu') return { kind: 'cpu' };
  if (s === 'webgpu') return { kind: 'webgpu' };
  const m = /^(?:cuda|gpu)(?::(\d+))?$/.exec(s);
  if (m) return { kind: 'cuda', deviceId: m[1] ? Number(m[1]) : 0 };
  throw new DeviceError(`device '${spec}' is not understood: ${SPEC_HELP}`);
}

/** A concrete device: 'cpu', 'webgpu', 'cuda' or 'cuda:N'. */
export function parseDevice(spec: string): Device {
  const r = parseDeviceRequest(spec);
  if (r.kind === 'auto') throw new DeviceError(`device 'auto' must be resolved first (prepareDevice)`);
  return r;
}

export function deviceName(d: DeviceRequest): string {
  return d.kind === 'cuda' ? `cuda:${d.deviceId}` : d.kind;
}

export function executionProviders(d: Device): InferenceSession.ExecutionProviderConfig[] {
  if (d.kind === 'cpu') return ['cpu'];
  // Nodes the WebGPU EP has no kernel for (int64 shape arithmetic) run on the CPU EP.
  if (d.kind === 'webgpu') return ['webgpu', 'cpu'];
  if (!Number.isInteger(d.deviceId) || d.deviceId < 0)
    throw new DeviceError(`CUDA device id must be an integer >= 0, got ${d.deviceId}`);
  return [{ name: 'cuda', deviceId: d.deviceId }];
}

/** Libraries onnxruntime-node loads for the CUDA EP, in load order (the bridge, then the provider). */
export const CUDA_PROVIDER_LIBS = [SHARED_PROVIDER_LIB, CUDA_PROVIDER_LIB];

/** How to get the CUDA provider (the action provisions it itself; the CLI uses `textclf provision`). */
export const CUDA_INSTALL_HINT =
  'the GitHub Action provisions the build the GPU needs when gpus > 0 or device is cuda; from the CLI run ' +
  '`npx textclf provision --dir toolcache` (CUDA 12 build for compute capability below 7.5 or drivers older than 580.65.06, ' +
  'else CUDA 13; --cuda_build 12|13 to choose) and copy the two provider libraries it names into ' +
  'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/';

/** Directory holding onnxruntime-node's native binding (where the provider libraries must sit). */
export function ortBinaryDir(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const bin = path.join(path.dirname(req.resolve('onnxruntime-node')), '..', 'bin');
    const napi = readdirSync(bin)
      .filter((d) => /^napi-v\d+$/.test(d))
      .sort()
      .pop();
    return napi ? path.join(bin, napi, process.platform, process.arch) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The libraries the CUDA EP cannot load, by name. ORT's JS error says only "Failed to load shared
 * library" (the loader's text goes to native stderr), so this reads the provider's DT_NEEDED
 * entries and resolves them as ld.so would; a name in `ortMessage` (when a caller has the native
 * text) comes first.
 */
export function findMissingCudaLibs(ortMessage = '', bin = ortBinaryDir()): string[] {
  const missing: string[] = [];
  for (const m of ortMessage.matchAll(/(lib[\w+-]+\.so(?:\.\d+)*): cannot open shared object file/g)) {
    if (!missing.includes(m[1])) missing.push(m[1]);
  }
  if (!bin) return missing;
  const info = inspectCudaProvider(bin);
  if (!info.sharedPresent && !missing.includes(SHARED_PROVIDER_LIB)) missing.push(SHARED_PROVIDER_LIB);
  if (!info.present && !missing.includes(CUDA_PROVIDER_LIB)) missing.push(CUDA_PROVIDER_LIB);
  for (const l of [...info.needed, ...info.indirect]) if (!l.path && !missing.includes(l.name)) missing.push(l.name);
  return missing;
}

/** The failure classes ORT's CUDA errors fall into (cuda_call.cc: "CUDA failure N: <text> ; GPU=..."). */
export function classifyCudaFailure(ortMessage: string): ProblemCode {
  if (
    /no kernel image is available|cudaErrorNoKernelImageForDevice|CUDA failure 209\b|CUBLAS_STATUS_ARCH_MISMATCH/i.test(
      ortMessage,
    )
  )
    return 'gpu-arch-unsupported';
  // cuDNN is opened on first use (cudnn_loader.cc): a missing one reads "CUDNN failure 1001: cuDNN is not available. ...".
  if (/cuDNN is not available|dlopen failed for libcudnn|libcudnn[\w.]*: cannot open shared object/i.test(ortMessage))
    return 'library-missing';
  if (/CUBLAS_STATUS_ALLOC_FAILED/.test(ortMessage)) return 'out-of-memory';
  if (/CUBLAS failure \d+|CUBLAS_STATUS_\w+/.test(ortMessage)) return 'cublas-failed';
  if (/Could not find an implementation for/.test(ortMessage)) return 'kernel-missing';
  if (/out of memory|CUDA failure 2\b|Failed to allocate memory|BFCArena.*(?:Allocate|Extend)/i.test(ortMessage))
    return 'out-of-memory';
  if (/driver version is insufficient|CUDA failure 35\b|cudaErrorInsufficientDriver/i.test(ortMessage))
    return 'driver-too-old';
  if (/invalid device ordinal|CUDA failure 101\b/i.test(ortMessage)) return 'no-such-gpu';
  if (/no CUDA-capable device|CUDA failure 100\b|CUDA driver is a stub|CUDA failure 34\b/i.test(ortMessage))
    return 'no-driver';
  if (/Failed to load (?:shared )?library|cannot open shared object/i.test(ortMessage)) return 'library-missing';
  return 'probe-failed';
}

/** Turns ORT's failure to start or run the CUDA EP into an error that names the cause and the fix. */
export function cudaError(d: Device, ortMessage: string, bin = ortBinaryDir()): CudaUnavailableError {
  const name = deviceName(d);
  const code = classifyCudaFailure(ortMessage);
  const said = `ONNX Runtime said: "${ortMessage.trim().split('\n')[0]}"`;
  const problem = (message: string, fix: string, missing: string[] = []) =>
    new CudaUnavailableError(`${name}: ${message}. ${said}. What to do: ${fix}`, missing, ortMessage, [
      { code, device: 'cuda', message, fix },
    ]);
  switch (code) {
    case 'no-such-gpu':
      return problem(
        `${name} does not exist on this machine (CUDA: invalid device ordinal)`,
        'use a device id below the GPU count shown by nvidia-smi',
      );
    case 'gpu-arch-unsupported':
      return problem(
        "the CUDA provider has no kernels for this GPU's architecture (no kernel image is available for execution on the device)",
        '--device webgpu (runs on this GPU through its Vulkan driver), or a runner whose GPU the provider supports (textclf doctor lists its architectures)',
      );
    case 'out-of-memory':
      return problem(
        'the GPU ran out of memory',
        'a smaller batch_size or max_length, a GPU with more free memory (nvidia-smi shows what else uses it), or --device webgpu',
      );
    case 'driver-too-old':
      return problem(
        "the NVIDIA driver is too old for the provider's CUDA version",
        'update the NVIDIA driver (textclf doctor names the minimum), or --device webgpu',
      );
    case 'no-driver':
      return problem(
        'no usable NVIDIA GPU or driver was found',
        'a runner with an NVIDIA GPU and driver, or --device webgpu',
      );
    default: {
      const missing = findMissingCudaLibs(ortMessage, bin);
      const what = missing.length
        ? `the CUDA provider could not load: missing ${missing.join(', ')}${bin ? ` (the provider libraries belong in ${bin})` : ''}`
        : 'the CUDA provider could not start although every library it links was found';
      const fix = missing.some((m) => (CUDA_PROVIDER_LIBS as string[]).includes(m))
        ? CUDA_INSTALL_HINT
        : missing.length
          ? `install ${missing.join(', ')} where the loader finds it (LD_LIBRARY_PATH or ldconfig; /usr/local/cuda/lib64 is not searched by default), or --device webgpu`
          : 'run textclf doctor for the driver and GPU checks, or --device webgpu';
      return problem(what, fix, missing);
    }
  }
}

/** True for ORT errors that come from starting an execution provider rather than from the model. */
export function isProviderLoadError(message: string): boolean {
  return /ExecutionProvider|providers_|Failed to load (shared )?library|CUDA|cudnn|cublas/i.test(message);
}
