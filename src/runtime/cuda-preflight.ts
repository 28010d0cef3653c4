// Can CUDA run here? A pure decision from facts gathered beforehand (the provider file, the
// loader's view of its libraries, nvidia-smi): every problem found, the deciding one first, each
// with the facts and the fix.
import path from 'node:path';
import { CUDNN_MAJOR, type CudaProviderInfo } from './cuda-provider.js';
import { CUDA_INSTALL_HINT, type DeviceProblem } from './device.js';
import { imageFor, imageName, type FatbinImage } from './fatbin.js';
import { describeSearch } from './ld-resolve.js';
import { driverAtLeast, MIN_DRIVER_FOR_CUDA, type GpuQuery, type NvidiaGpu } from './nvidia-smi.js';

export interface CudaFacts {
  /** `${process.platform}/${process.arch}` */
  platform: string;
  provider: CudaProviderInfo;
  smi: GpuQuery;
}

export type CudaVerdict =
  | { ok: true; gpu: NvidiaGpu; image?: FatbinImage; summary: string; warnings: string[] }
  | { ok: false; problems: DeviceProblem[] };

const WEBGPU_ALT = '--device webgpu (any GPU with a Vulkan driver, NVIDIA included)';

/** "sm_75, sm_80, sm_90a" */
export function imageList(images: FatbinImage[]): string {
  return images.map(imageName).join(', ');
}

/** Compute capabilities that can run one of these images: "7.5, 8.0 or a later 8.x, 9.0". */
function supportedCaps(images: FatbinImage[]): string {
  const out: string[] = [];
  for (const i of images) {
    const major = Math.floor(i.sm / 10);
    const cap = `${major}.${i.sm % 10}`;
    if (i.kind === 'ptx') out.push(`${cap} or newer`);
    else if (i.archSpecific) out.push(cap);
    // A plain cubin covers the later minors of its major: list only the lowest one.
    else if (!images.some((o) => o.kind === 'elf' && !o.archSpecific && Math.floor(o.sm / 10) === major && o.sm < i.sm))
      out.push(`${cap} or a later ${major}.x`);
  }
  return [...new Set(out)].join(', ');
}

const PACKAGE_HINT: [RegExp, (major: string, cuda: string) => string][] = [
  [
    /^libcudnn/,
    (m, c) =>
      `cuDNN ${m} for CUDA ${c} (NVIDIA's apt repository: libcudnn${m}-cuda-${c}; or pip's nvidia-cudnn-cu${c}, its nvidia/cudnn/lib directory on LD_LIBRARY_PATH)`,
  ],
  [/^libcudart\.so\.(\d+)/, (m) => `the CUDA ${m} runtime (cuda-cudart-${m}-<minor>, or cuda-libraries-${m}-<minor>)`],
  [/^libcublas(?:Lt)?\.so\.(\d+)/, (m) => `cuBLAS for CUDA ${m} (libcublas-${m}-<minor>)`],
  [/^libcufft\.so\.(\d+)/, () => 'cuFFT (libcufft-<CUDA major>-<minor>)'],
  [/^libcurand\.so\.(\d+)/, () => 'cuRAND (libcurand-<CUDA major>-<minor>)'],
];

function packageFor(lib: string, cudaMajor: number | undefined): string {
  for (const [re, f] of PACKAGE_HINT) {
    const m = re.exec(lib);
    // ORT's cuDNN loader asks for cuDNN 9 also when it falls back to the unversioned libcudnn.so.
    if (m) return f(m[1] ?? /\.so\.(\d+)/.exec(lib)?.[1] ?? String(CUDNN_MAJOR), String(cudaMajor ?? '<CUDA major>'));
  }
  return lib;
}

export function preflightCuda(f: CudaFacts, deviceId = 0): CudaVerdict {
  const problems: DeviceProblem[] = [];
  const add = (code: DeviceProblem['code'], message: string, fix: string) =>
    problems.push({ code, device: 'cuda', message, fix });
  const p = f.provider;

  if (f.platform !== 'linux/x64') {
    add(
      'platform',
      `CUDA training runs on Linux x64 only; this machine is ${f.platform}`,
      `${WEBGPU_ALT}, or a Linux x64 runner with an NVIDIA GPU`,
    );
    return { ok: false, problems };
  }

  const driverLib = [...p.needed, ...p.indirect].find((l) => l.name === 'libcuda.so.1');
  if (!f.smi.gpus) {
    add('no-driver', f.smi.error, `a runner with an NVIDIA GPU and its driver, or ${WEBGPU_ALT}`);
  } else if (f.smi.gpus.length === 0) {
    add('no-driver', 'nvidia-smi lists no GPU', `a runner with an NVIDIA GPU, or ${WEBGPU_ALT}`);
  } else if (driverLib && !driverLib.path) {
    add(
      'no-driver',
      `the NVIDIA driver library libcuda.so.1 is not where the loader looks (searched ${describeSearch(driverLib)})`,
      'reinstall the NVIDIA driver (its libcuda.so.1 belongs in the ld.so cache: run ldconfig)',
    );
  }
  const gpus = f.smi.gpus ?? [];
  const gpu = gpus[deviceId];
  if (gpus.length && !gpu)
    add(
      'no-such-gpu',
      `cuda:${deviceId} was requested but nvidia-smi lists ${gpus.length} GPU${gpus.length > 1 ? 's' : ''} (${gpus.map((g) => `${g.index}: ${g.name}`).join(', ')})`,
      `use cuda:0${gpus.length > 1 ? ` to cuda:${gpus.length - 1}` : ''}`,
    );

  if (!p.present || !p.sharedPresent) {
    const absent = [!p.sharedPresent && 'libonnxruntime_providers_shared.so', !p.present && path.basename(p.path)]
      .filter(Boolean)
      .join(' and ');
    add(
      'provider-missing',
      `onnxruntime-node's CUDA provider is not installed (${absent} missing from ${path.dirname(p.path)})`,
      CUDA_INSTALL_HINT,
    );
  } else if (p.error) {
    add('provider-unreadable', `the CUDA provider ${p.path} cannot be read: ${p.error}`, CUDA_INSTALL_HINT);
  }

  const lazy = new Set((p.lazy ?? []).map((l) => l.name));
  const missing = [...p.needed, ...p.indirect, ...(p.lazy ?? [])].filter((l) => !l.path && l.name !== 'libcuda.so.1');
  if (missing.length) {
    const parts = missing.map((l) => {
      const h = p.hints[l.name];
      const notes = [
        h?.elsewhere.length
          ? `it exists at ${h.elsewhere.join(', ')}, a directory the loader does not search by default`
          : '',
        h?.otherVersions.length
          ? `this machine has ${h.otherVersions.join(', ')}, but the provider is linked against ${l.name}`
          : '',
        // ORT >= 1.28 opens cuDNN itself when a kernel first needs it: no link error would show it.
        lazy.has(l.name) ? 'opened at run time, not a link-time dependency' : '',
      ].filter(Boolean);
      return `${l.name}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    });
    const fixes = missing.map((l) => {
      const h = p.hints[l.name];
      if (h?.elsewhere.length)
        return `add ${[...new Set(h.elsewhere.map((e) => e.slice(0, e.lastIndexOf('/'))))].join(':')} to LD_LIBRARY_PATH (or to /etc/ld.so.conf.d/ and run ldconfig)`;
      return `install ${packageFor(l.name, p.cudaMajor)}`;
    });
    add(
      'library-missing',
      `the CUDA provider needs ${parts.join(', ')}, which the dynamic loader cannot find (searched ${describeSearch(missing[0])})`,
      `${[...new Set(fixes)].join('; ')}; or ${WEBGPU_ALT}`,
    );
  }

  if (gpu && p.cudaMajor !== undefined) {
    const min = MIN_DRIVER_FOR_CUDA[p.cudaMajor];
    if (min && !driverAtLeast(gpu.driver, min))
      add(
        'driver-too-old',
        `the NVIDIA driver ${gpu.driver} is older than ${min}, the oldest that runs CUDA ${p.cudaMajor} (the provider links libcudart.so.${p.cudaMajor})`,
        `update the NVIDIA driver to ${min} or newer, or ${WEBGPU_ALT}`,
      );
  }

  let image: FatbinImage | undefined;
  if (gpu && p.images?.length) {
    image = imageFor(p.images, gpu.computeCap);
    if (!image) {
      const ptx = p.images.some((i) => i.kind === 'ptx');
      add(
        'gpu-arch-unsupported',
        `GPU ${gpu.index} (${gpu.name}) has compute capability ${gpu.computeCap}, but the CUDA provider's kernels are compiled for ${imageList(p.images)} only${ptx ? '' : ' (no PTX the driver could compile)'}, so every kernel launch would fail with "no kernel image is available for execution on the device"`,
        `${WEBGPU_ALT}, or a runner whose GPU has compute capability ${supportedCaps(p.images)}`,
      );
    }
  }

  if (problems.length) return { ok: false, problems };
  const warnings: string[] = [];
  if (!p.images) warnings.push(`${p.path} has no .nv_fatbin section: its GPU architectures are unknown`);
  const summary =
    `${gpu!.name} (compute capability ${gpu!.computeCap}, driver ${gpu!.driver})` +
    (p.cudaMajor !== undefined ? `, provider built for CUDA ${p.cudaMajor}` : '') +
    (image ? ` with ${imageName(image)} kernels` : '');
  return { ok: true, gpu: gpu!, image, summary, warnings };
}
