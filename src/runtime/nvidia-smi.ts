// NVIDIA GPUs as the driver reports them: name, compute capability, driver version, memory.
import { execFile } from 'node:child_process';

export interface NvidiaGpu {
  index: number;
  name: string;
  /** Compute capability, e.g. "7.0" (V100), "9.0" (H100). */
  computeCap: string;
  driver: string;
  memoryMiB?: number;
}

export type GpuQuery = { gpus: NvidiaGpu[] } | { gpus?: undefined; error: string };

export const NVIDIA_SMI_ARGS = ['--query-gpu=name,compute_cap,driver_version,memory.total', '--format=csv,noheader'];

/** Parses `nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader`. */
export function parseGpuCsv(csv: string): NvidiaGpu[] {
  return csv
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, index) => {
      // GPU names may contain commas: take the three known fields from the right.
      const parts = line.split(',').map((s) => s.trim());
      if (parts.length < 4) throw new Error(`unexpected nvidia-smi line: "${line}"`);
      const mem = parts.pop()!;
      const driver = parts.pop()!;
      const computeCap = parts.pop()!;
      if (!/^\d+\.\d+$/.test(computeCap))
        throw new Error(`unexpected compute capability "${computeCap}" in nvidia-smi line "${line}"`);
      const mib = /^(\d+)\s*MiB$/.exec(mem);
      return { index, name: parts.join(', '), computeCap, driver, memoryMiB: mib ? Number(mib[1]) : undefined };
    });
}

/** Runs nvidia-smi (fixed arguments, no shell). A missing binary or a failing driver is an error string. */
export function queryNvidiaGpus(command = 'nvidia-smi', timeoutMs = 10_000): Promise<GpuQuery> {
  return new Promise((resolve) => {
    // env: this process's PATH as it is now (a test runner's sandboxed env differs from the host's).
    execFile(
      command,
      NVIDIA_SMI_ARGS,
      { timeout: timeoutMs, encoding: 'utf8', env: process.env },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          const why =
            e.code === 'ENOENT'
              ? 'nvidia-smi is not installed, so there is no NVIDIA driver on this machine'
              : e.killed
                ? `nvidia-smi did not answer within ${timeoutMs / 1000} s`
                : `nvidia-smi failed: ${(stdout || stderr || e.message).trim().split('\n')[0]}`;
          resolve({ error: why });
          return;
        }
        try {
          resolve({ gpus: parseGpuCsv(stdout) });
        } catch (x) {
          resolve({ error: (x as Error).message });
        }
      },
    );
  });
}

/** Driver version as [major, minor, patch] for comparisons ("525.60.13" -> [525, 60, 13]). */
export function driverVersion(v: string): number[] {
  return v.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

export function driverAtLeast(have: string, need: string): boolean {
  const a = driverVersion(have),
    b = driverVersion(need);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Oldest Linux driver that runs any CUDA release of a major version (NVIDIA's "minor version
 * compatibility" table in the CUDA Toolkit release notes).
 */
export const MIN_DRIVER_FOR_CUDA: Record<number, string> = {
  11: '450.80.02',
  12: '525.60.13',
  13: '580.65.06',
};
