// Which devices train in mixed precision. float16: WebGPU with shader-f16 and CUDA. bfloat16: CUDA
// only (WGSL has no bfloat16 type, so the WebGPU EP has no bfloat16 kernels). The CPU EP runs most
// float16 ops as casts around its float32 kernels: no speed, only rounding, so it is refused unless
// a caller (a test) asks for it explicitly.
import { deviceName, type Device } from './device.js';

export type PrecisionFlag = '32' | '16-mixed' | 'bf16-mixed';
export type HalfType = 'float16' | 'bfloat16';

export class PrecisionError extends Error {
  override name = 'PrecisionError';
  readonly flag = 'precision';
}

/** The compute type of a --precision value (undefined: float32 throughout). */
export function computeTypeOf(precision: PrecisionFlag | string): HalfType | undefined {
  if (precision === '16-mixed') return 'float16';
  if (precision === 'bf16-mixed') return 'bfloat16';
  if (precision === '32') return undefined;
  throw new PrecisionError(`--precision ${precision}: expected 32, 16-mixed or bf16-mixed`);
}

export const precisionFlagOf = (compute: HalfType | undefined): PrecisionFlag =>
  compute === 'float16' ? '16-mixed' : compute === 'bfloat16' ? 'bf16-mixed' : '32';

export interface PrecisionCheck {
  /** Run float16 on the CPU EP anyway (tests: the graphs are the same, the CPU is what CI has). */
  allowCpu?: boolean;
  /** The WebGPU adapter's shader-f16 feature, when the adapter was queried. */
  webgpuShaderF16?: boolean;
}

/** Throws a PrecisionError naming the device and what to do when `device` cannot train in `compute`. */
export function checkMixedPrecision(device: Device, compute: HalfType | undefined, o: PrecisionCheck = {}): void {
  if (!compute) return;
  const flag = precisionFlagOf(compute);
  const name = deviceName(device);
  if (device.kind === 'cpu') {
    if (o.allowCpu && compute === 'float16') return;
    throw new PrecisionError(
      `--precision ${flag} is not supported on the CPU device: ONNX Runtime's CPU provider runs ${compute} ops as casts around float32 kernels (slower, only less precise); use --precision 32 on the CPU, or train on a GPU (--device webgpu or cuda)`,
    );
  }
  if (device.kind === 'webgpu') {
    if (compute === 'bfloat16')
      throw new PrecisionError(
        `--precision bf16-mixed is not supported on ${name}: WebGPU has no bfloat16 type; use --precision 16-mixed there, or bf16-mixed on a CUDA GPU (compute capability 8.0+)`,
      );
    if (o.webgpuShaderF16 === false)
      throw new PrecisionError(
        `--precision 16-mixed needs the WebGPU adapter's shader-f16 feature, which this adapter lacks; use --precision 32 on this GPU`,
      );
  }
}
