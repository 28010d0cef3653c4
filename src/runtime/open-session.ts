// One place that opens ORT sessions for training graphs on a device, turning provider failures
// into CudaUnavailableError.
import type { InferenceSession } from 'onnxruntime-node';
import type { Graph } from '../onnx/graph.js';
import { sessionFor } from '../onnx/session.js';
import { cudaError, executionProviders, isProviderLoadError, type Device } from './device.js';

export interface SessionPlacement {
  device: Device;
  /** Intra-op threads (0 = ORT default: all cores). */
  threads?: number;
}

export async function openSession(graph: Graph | Uint8Array, where: SessionPlacement): Promise<InferenceSession> {
  try {
    return await sessionFor(graph, {
      executionProviders: executionProviders(where.device),
      intraOpNumThreads: where.threads ?? 0,
    });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (where.device.kind === 'cuda' && isProviderLoadError(msg)) throw cudaError(where.device, msg);
    throw e;
  }
}
