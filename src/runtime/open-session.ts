// One place that opens ORT sessions for training graphs on a device, turning provider failures
// into CudaUnavailableError.
import type { InferenceSession } from 'onnxruntime-node';
import type { Graph } from '../onnx/graph.js';
import { sessionFor } from '../onnx/session.js';
import { cudaError, DeviceError, executionProviders, isProviderLoadError, type Device } from './device.js';

export interface SessionPlacement {
  device: Device;
  /** Intra-op threads (0 = ORT default: all cores). */
  threads?: number;
  /**
   * Outputs ORT leaves in device memory ('gpu-buffer' tensors: feed them to a session on the same
   * device; never read their data). WebGPU only: the node binding has no device outputs for CUDA.
   */
  outputsOnDevice?: readonly string[];
}

export async function openSession(graph: Graph | Uint8Array, where: SessionPlacement): Promise<InferenceSession> {
  const onDevice = where.outputsOnDevice ?? [];
  if (onDevice.length && where.device.kind !== 'webgpu')
    throw new DeviceError(
      `outputs can stay in device memory on webgpu only (onnxruntime-node returns every ${where.device.kind} output in host memory)`,
    );
  try {
    return await sessionFor(graph, {
      executionProviders: executionProviders(where.device),
      intraOpNumThreads: where.threads ?? 0,
      preferredOutputLocation: onDevice.length
        ? Object.fromEntries(onDevice.map((name) => [name, 'gpu-buffer' as const]))
        : undefined,
    });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (where.device.kind === 'cuda' && isProviderLoadError(msg)) throw cudaError(where.device, msg);
    throw e;
  }
}
