// Where the step graph runs: 'cpu' or a CUDA device. onnxruntime-node only reports "Failed to load
// shared library" when the CUDA provider cannot start (the detail goes to native stderr), so on
// failure we look for the libraries ourselves and name the missing ones.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';

export type Device = { kind: 'cpu' } | { kind: 'cuda'; deviceId: number };

export class DeviceError extends Error {
  override name = 'DeviceError';
}

/** CUDA was requested but its provider cannot load; `missing` lists the libraries not found. */
export class CudaUnavailableError extends DeviceError {
  override name = 'CudaUnavailableError';
  constructor(
    message: string,
    readonly missing: string[],
    readonly ortMessage: string,
  ) {
    super(message);
  }
}

/** 'cpu', 'cuda' (device 0) or 'cuda:N'. */
export function parseDevice(spec: string): Device {
  const s = spec.trim().toLowerCase();
  if (s === 'cpu') return { kind: 'cpu' };
  const m = /^(?:cuda|gpu)(?::(\d+))?$/.exec(s);
  if (m) return { kind: 'cuda', deviceId: m[1] ? Number(m[1]) : 0 };
  throw new DeviceError(`device '${spec}' is not understood: use 'cpu', 'cuda' or 'cuda:<id>' (e.g. cuda:1)`);
}

export function deviceName(d: Device): string {
  return d.kind === 'cpu' ? 'cpu' : `cuda:${d.deviceId}`;
}

export function executionProviders(d: Device): InferenceSession.ExecutionProviderConfig[] {
  if (d.kind === 'cpu') return ['cpu'];
  if (!Number.isInteger(d.deviceId) || d.deviceId < 0)
    throw new DeviceError(`CUDA device id must be an integer >= 0, got ${d.deviceId}`);
  return [{ name: 'cuda', deviceId: d.deviceId }];
}

/** Libraries the CUDA 12 provider of onnxruntime 1.2x/1.3x loads, in load order. */
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
export const CUDA_RUNTIME_LIBS = [
  'libcudart.so.12',
  'libcublasLt.so.12',
  'libcublas.so.12',
  'libcufft.so.11',
  'libcurand.so.10',
  'libcudnn.so.9',
];

export const CUDA_HELP =
  'The GitHub Action provisions the CUDA provider on GPU runners. From the CLI: install CUDA 12 and cuDNN 9 ' +
  '(their lib directories on LD_LIBRARY_PATH or in the ldconfig cache) and the onnxruntime-node CUDA binaries ' +
  '(`npm install onnxruntime-node --onnxruntime-node-install=cuda12`), or train on CPU with gpus=0.';

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

function libraryDirs(): { dirs: string[]; cache: Set<string> } {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib');
  const cache = new Set<string>();
  try {
    // Fixed arguments, no shell: the loader cache lists every library the dynamic linker can find.
    const out = execFileSync('ldconfig', ['-p'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    for (const line of out.split('\n')) {
      const m = /^\s*(\S+)\s/.exec(line);
      if (m) cache.add(m[1]);
    }
  } catch {
    /* no ldconfig: search the directories only */
  }
  return { dirs, cache };
}

/** Names the CUDA libraries that cannot be found, provider libraries first. */
export function findMissingCudaLibs(ortMessage = ''): string[] {
  const missing: string[] = [];
  // The dynamic loader's text names the library it failed on: "<lib>: cannot open shared object file".
  for (const m of ortMessage.matchAll(/(lib[\w+-]+\.so(?:\.\d+)*): cannot open shared object file/g)) {
    if (!missing.includes(m[1])) missing.push(m[1]);
  }
  const bin = ortBinaryDir();
  for (const lib of CUDA_PROVIDER_LIBS) {
    if (bin && !existsSync(path.join(bin, lib)) && !missing.includes(lib)) missing.push(lib);
  }
  const { dirs, cache } = libraryDirs();
  for (const lib of CUDA_RUNTIME_LIBS) {
    const found = cache.has(lib) || dirs.some((d) => existsSync(path.join(d, lib)));
    if (!found && !missing.includes(lib)) missing.push(lib);
  }
  return missing;
}

/** Turns ORT's failure to start the CUDA provider into an error that names what is missing. */
export function cudaError(d: Device, ortMessage: string): CudaUnavailableError {
  if (d.kind === 'cuda' && /invalid device ordinal/i.test(ortMessage)) {
    return new CudaUnavailableError(
      `${deviceName(d)} does not exist on this machine (CUDA: invalid device ordinal); use a device id below the GPU count shown by nvidia-smi. ONNX Runtime said: "${ortMessage}"`,
      [],
      ortMessage,
    );
  }
  const missing = findMissingCudaLibs(ortMessage);
  const bin = ortBinaryDir();
  const what = missing.length
    ? `missing ${missing.join(', ')}${missing.some((m) => CUDA_PROVIDER_LIBS.includes(m)) && bin ? ` (provider libraries are looked up in ${bin})` : ''}`
    : 'all CUDA libraries were found, so the driver or the GPU itself is the likely problem (check nvidia-smi)';
  return new CudaUnavailableError(
    `${deviceName(d)} was requested but ONNX Runtime's CUDA provider could not load: ${what}. ONNX Runtime said: "${ortMessage}". ${CUDA_HELP}`,
    missing,
    ortMessage,
  );
}

/** True for ORT errors that come from starting an execution provider rather than from the model. */
export function isProviderLoadError(message: string): boolean {
  return /ExecutionProvider|providers_|Failed to load (shared )?library|CUDA|cudnn|cublas/i.test(message);
}
