// GPU facts and the gpus > 0 decision. nvidia-smi (when present) names the devices for the
// report; a CUDA request without a usable provider fails with the fix, or falls back to CPU with a
// warning when allow_cpu_fallback is set.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface GpuFact {
  name: string;
  memoryMiB?: number;
  driver?: string;
}

export class GpuError extends Error {
  override name = 'GpuError';
  readonly flag = 'gpus';
}

/** Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuFact[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(',').map((s) => s.trim());
      const driver = parts.pop();
      const mem = Number(parts.pop());
      return { name: parts.join(', '), memoryMiB: Number.isFinite(mem) ? mem : undefined, driver: driver || undefined };
    });
}

/** GPU facts, or undefined when nvidia-smi is missing or fails (no driver). */
export async function queryGpus(command = 'nvidia-smi'): Promise<GpuFact[] | undefined> {
  try {
    const { stdout } = await promisify(execFile)(
      command,
      ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'],
      { timeout: 20_000 },
    );
    return parseNvidiaSmi(stdout);
  } catch {
    return undefined;
  }
}

export interface GpuDecision {
  /** The gpus value to train with (0 after a fallback). */
  gpus: number;
  facts: GpuFact[];
  warning?: string;
}

/**
 * gpus > 0 needs the CUDA provider libraries (`cudaProvider`) and at least `gpus` devices seen
 * by nvidia-smi. Otherwise: GpuError, or CPU with a warning when `allowCpuFallback`.
 */
export function decideGpus(o: {
  gpus: number;
  allowCpuFallback: boolean;
  cudaProvider: boolean;
  facts: GpuFact[] | undefined;
  platform?: string;
}): GpuDecision {
  const facts = o.facts ?? [];
  if (o.gpus === 0) return { gpus: 0, facts };
  const platform = o.platform ?? `${process.platform}/${process.arch}`;
  let problem: string | undefined;
  if (platform !== 'linux/x64')
    problem = `CUDA training is supported on Linux x64 runners only (this runner is ${platform})`;
  else if (!o.facts) problem = 'nvidia-smi is not available, so no NVIDIA driver/GPU was found on this runner';
  else if (facts.length < o.gpus)
    problem = `${o.gpus} GPUs were requested but nvidia-smi lists ${facts.length}${facts.length ? ` (${facts.map((f) => f.name).join(', ')})` : ''}`;
  else if (!o.cudaProvider) problem = "onnxruntime-node's CUDA provider libraries are not installed";
  if (!problem) return { gpus: o.gpus, facts: facts.slice(0, o.gpus) };
  if (o.allowCpuFallback)
    return {
      gpus: 0,
      facts,
      warning: `gpus=${o.gpus}: ${problem}; training on CPU because allow_cpu_fallback is true`,
    };
  throw new GpuError(
    `gpus=${o.gpus}: ${problem}. Use a runner with an NVIDIA GPU, its driver and the CUDA runtime the provider links, set gpus: 0, or set allow_cpu_fallback: true to train on CPU with a warning`,
  );
}
