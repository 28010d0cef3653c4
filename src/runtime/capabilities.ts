// What each device can run, in one record per device. The engine, the models and the trainer ask
// these capabilities, never a device's name: a new device (or a new fact about one, such as an
// adapter's buffer limit) changes this file and nothing else.
// - `graphs`: what the emitted graphs may contain. The legalize rules of the target (src/onnx/
//   legalize.ts: the WebGPU provider lacks Sum, LogSoftmax, SoftmaxCrossEntropyLoss, Size,
//   ConstantOfShape of a run-time shape and int64 -> float Casts), float64 (the step scalars and
//   AdamW's bias corrections in double), Scan (K steps per run, the inner accumulation Scan, E eval
//   batches per run), and the largest buffer one tensor may take (WebGPU: the adapter's
//   maxStorageBufferBindingSize and maxBufferSize; state-layout.ts splits and shards to fit).
// - the state layout, resident state (outputs kept in device memory and fed back), the pad
//   multiple of mixed precision, and float16/bfloat16 compute.
import type { LegalizeTarget } from '../onnx/legalize.js';
import type { Device } from './device.js';
import type { PreparedDevice } from './prepare.js';
import type { WebgpuAdapter } from './webgpu.js';

export type StateLayoutKind = 'flat' | 'per-param';

export interface GraphCaps {
  /** The legalize rules the train and eval graphs go through (src/onnx/legalize.ts). */
  legalize: LegalizeTarget;
  /** float64 kernels: lr and step scalars in double, like torch's Python floats (else float32, cancellation-free). */
  float64: boolean;
  /** A Scan runs on the device (else: one step per run, micro-batches unrolled, one eval batch per run). */
  scan: boolean;
  /** The largest tensor the device holds in one buffer, in bytes (absent: no limit). */
  maxBufferBytes?: number;
  /** Where maxBufferBytes comes from, for messages ("the adapter's maxStorageBufferBindingSize"). */
  limitSource?: string;
}

export interface DeviceCaps {
  graphs: GraphCaps;
  /**
   * Device tensors can be fed back to the next run, so the training state may stay there (WebGPU's
   * 'gpu-buffer'). CUDA: onnxruntime-node passes no IO binding for it, so every feed and fetch
   * crosses host memory. CPU: it is host memory.
   */
  residentState: boolean;
  /**
   * The state layout the device trains fastest with. GPUs: flat buffers (a handful of optimizer
   * kernels instead of ~14 per parameter, a few large transfers per run). CPU: one tensor per
   * parameter, measured 16% faster on BERT-mini (npm run bench -- --layout flat|per-param): the
   * optimizer's chain of elementwise ops stays in cache on each parameter.
   */
  layout: StateLayoutKind;
  /** Mixed precision pads micro-batch lengths to a multiple of this (tensor cores take matmul dims in 8s). */
  halfPadMultiple?: number;
  /** float16 compute kernels: true, false, or undefined when unknown (the adapter was not queried). */
  float16?: boolean;
  /** bfloat16 compute kernels (CUDA; the GPU's compute capability is checked by the preflight). */
  bfloat16: boolean;
}

/** Facts about the device that change its capabilities (absent: the defaults below). */
export interface DeviceFactsForCaps {
  /** The WebGPU adapter ORT will use, as Dawn lists it (its limits and shader-f16). */
  webgpuAdapter?: WebgpuAdapter;
  /**
   * ONNX Runtime's own answer to "does the WebGPU EP run float16" (a float16 session ran): it wins
   * over the adapter listing, which lacks Dawn's vulkan_enable_f16_on_nvidia toggle that ORT sets.
   */
  webgpuShaderF16?: boolean;
}

/**
 * WebGPU's default limits (the spec's): every adapter grants at least these, and ORT's WebGPU EP
 * asks its device for the adapter's own limits, so they bound a tensor when the adapter's are unknown.
 */
export const WEBGPU_DEFAULT_LIMITS = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };

const HOST_GRAPHS: GraphCaps = { legalize: 'any', float64: true, scan: true };

/** The capability record of `device`, refined by what is known about it. */
export function capabilitiesOf(device: Device, facts: DeviceFactsForCaps = {}): DeviceCaps {
  switch (device.kind) {
    case 'cpu':
      return { graphs: { ...HOST_GRAPHS }, residentState: false, layout: 'per-param', float16: false, bfloat16: false };
    case 'cuda':
      return {
        graphs: { ...HOST_GRAPHS },
        residentState: false,
        layout: 'flat',
        halfPadMultiple: 8,
        float16: true,
        bfloat16: true,
      };
    case 'webgpu': {
      const a = facts.webgpuAdapter;
      return {
        graphs: { legalize: 'webgpu', float64: false, scan: false, ...webgpuBufferLimit(a) },
        residentState: true,
        layout: 'flat',
        float16: facts.webgpuShaderF16 ?? a?.shaderF16,
        // WGSL has no bfloat16 type.
        bfloat16: false,
      };
    }
  }
}

/** The capability record of a decided device, with the facts its decision gathered (the WebGPU adapter). */
export function capabilitiesOfPrepared(d: PreparedDevice): DeviceCaps {
  const v = d.facts.webgpu?.verdict;
  return capabilitiesOf(d.device, {
    webgpuAdapter: v?.ok ? v.adapter : undefined,
    webgpuShaderF16: d.facts.webgpu?.shaderF16,
  });
}

/** The graph capabilities of `device` (what its train and eval graphs may contain). */
export function graphCapsOf(device: Device, facts: DeviceFactsForCaps = {}): GraphCaps {
  return capabilitiesOf(device, facts).graphs;
}

/** The binding limit a tensor must fit: the smaller of the adapter's two buffer limits. */
function webgpuBufferLimit(a: WebgpuAdapter | undefined): Pick<GraphCaps, 'maxBufferBytes' | 'limitSource'> {
  const binding = a?.limits.maxStorageBufferBindingSize;
  const buffer = a?.limits.maxBufferSize;
  if (binding === undefined && buffer === undefined)
    return {
      maxBufferBytes: WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize,
      limitSource: "WebGPU's default maxStorageBufferBindingSize (the adapter's own limits were not read)",
    };
  const b = binding ?? WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize;
  const s = buffer ?? WEBGPU_DEFAULT_LIMITS.maxBufferSize;
  const name = a?.description || a?.device || 'the WebGPU adapter';
  return s < b
    ? { maxBufferBytes: s, limitSource: `the maxBufferSize of ${name}` }
    : { maxBufferBytes: b, limitSource: `the maxStorageBufferBindingSize of ${name}` };
}
