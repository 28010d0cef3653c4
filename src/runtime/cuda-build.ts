// Which CUDA build of ONNX Runtime's CUDA provider a runner needs: since ORT 1.27 the default
// provider package is a CUDA 13 build, which has no kernels below compute capability 7.5 (the CUDA
// 13 toolkit cannot target Volta) and needs driver 580.65.06+; V100s and R535-R570 drivers need
// the CUDA 12 build of the same release. A pure decision from nvidia-smi's facts, with a sentence.
import { driverAtLeast, MIN_DRIVER_FOR_CUDA, type NvidiaGpu } from './nvidia-smi.js';

export type CudaBuild = 12 | 13;
/** The `cuda_build` flag. */
export type CudaBuildRequest = 'auto' | '12' | '13';

export const CUDA_BUILDS: readonly CudaBuild[] = [12, 13];
/** The lowest compute capability the CUDA 13 toolkit compiles machine code for (sm_75, Turing). */
export const CUDA13_MIN_CAPABILITY = '7.5';

export interface CudaBuildChoice {
  /** Undefined when no NVIDIA GPU is visible and none was asked for: nothing to provision. */
  build?: CudaBuild;
  /** One sentence: the GPUs, their compute capability and driver, and why this build. */
  reason: string;
  /** An explicit request that contradicts what these GPUs need. */
  warning?: string;
}

const capAtLeast = (cc: string, min: string) => {
  const [a, b] = cc.split('.').map(Number);
  const [c, d] = min.split('.').map(Number);
  return a !== c ? a > c : b >= d;
};

/** Why a GPU cannot use the CUDA 13 build, as clauses about "its" facts ([] when it can). */
function cuda13Blockers(g: NvidiaGpu): string[] {
  const out: string[] = [];
  if (!capAtLeast(g.computeCap, CUDA13_MIN_CAPABILITY))
    out.push(
      `compute capability ${g.computeCap} is below ${CUDA13_MIN_CAPABILITY}, the lowest CUDA 13 compiles kernels for`,
    );
  if (!driverAtLeast(g.driver, MIN_DRIVER_FOR_CUDA[13]))
    out.push(`driver ${g.driver} is older than ${MIN_DRIVER_FOR_CUDA[13]}, the oldest that runs CUDA 13`);
  return out;
}

const describe = (g: NvidiaGpu) => `${g.name} (compute capability ${g.computeCap}, driver ${g.driver})`;

function list(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * `auto`: 12 when any of `gpus` (the GPUs the run would use) has compute capability < 7.5 or a
 * driver older than the CUDA 13 minimum, else 13. `12`/`13`: as asked, with a warning when the
 * GPUs need the other one. `noGpu` says why the GPU list is empty (nvidia-smi's error).
 */
export function chooseCudaBuild(request: CudaBuildRequest, gpus: NvidiaGpu[], noGpu?: string): CudaBuildChoice {
  const none = `no NVIDIA GPU is visible (${noGpu ?? 'nvidia-smi lists none'})`;
  const seen = gpus.length ? list(gpus.map(describe)) : none;
  const blocked = gpus.map((g) => ({ g, why: cuda13Blockers(g) })).filter((x) => x.why.length);
  const why12 = blocked
    .map(({ g, why }) => `${gpus.length > 1 ? `${g.name}'s` : 'its'} ${why.join(', and its ')}`)
    .join('; ');
  if (request !== 'auto') {
    const build = Number(request) as CudaBuild;
    const warning =
      build === 13 && blocked.length
        ? `cuda_build 13 was requested, but ${list(blocked.map((b) => b.g.name))} needs the CUDA 12 build (${why12}): the CUDA 13 provider cannot run there; cuda_build auto picks 12`
        : undefined;
    return { build, reason: `The CUDA ${build} build, as cuda_build ${build} asks; ${seen}.`, warning };
  }
  if (!gpus.length)
    return {
      reason: `No CUDA provider build is needed: ${none}. On a GPU runner cuda_build auto picks CUDA 12 for compute capability below ${CUDA13_MIN_CAPABILITY} (V100) or a driver older than ${MIN_DRIVER_FOR_CUDA[13]}, else CUDA 13.`,
    };
  const verb = gpus.length > 1 ? 'need' : 'needs';
  if (blocked.length) return { build: 12, reason: `${seen} ${verb} the CUDA 12 build: ${why12}.` };
  return {
    build: 13,
    reason: `${seen} ${gpus.length > 1 ? 'take' : 'takes'} the CUDA 13 build, ONNX Runtime's default: compute capability ${CUDA13_MIN_CAPABILITY} or newer and driver ${MIN_DRIVER_FOR_CUDA[13]} or newer.`,
  };
}

/** The GPUs a run uses: `cuda:N` -> GPU N; otherwise the first max(gpus, 1). */
export function selectedGpus(all: NvidiaGpu[], o: { deviceId?: number; gpus: number }): NvidiaGpu[] {
  if (o.deviceId !== undefined) return all.filter((g) => g.index === o.deviceId);
  return all.slice(0, Math.max(1, o.gpus));
}
