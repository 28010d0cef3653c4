// Copies versus compute, per ORT run: the bytes a run moves through host memory (feeds that live
// there, outputs that come back there) and the seconds spent outside `session.run` (building feeds,
// reading outputs into JS values) versus inside it. Inside-run seconds include ORT's own copies of
// those bytes (the WebGPU uploads and downloads, onnxruntime-node's copy of each output into a new
// ArrayBuffer); the bytes say how much of that is copying. Tensors left on the device (gpu-buffer)
// count no bytes: they never cross. Copies ORT makes inside a run between its own execution
// providers (a node the device's EP lacks, e.g. a Scan, which runs on the CPU EP under WebGPU)
// are not counted in bytes; they are in the inside-run seconds.
import type { InferenceSession } from 'onnxruntime-node';
import type { ort } from '../onnx/session.js';

/** What a run was for: training, evaluation, reading device state back to the host, or uploading host state to the device. */
export type RunKind = 'train' | 'eval' | 'readback' | 'upload';

export interface TransferTotals {
  /** ORT session runs. */
  runs: number;
  /** Bytes fed from host memory (batches, scalars; the state unless it stays on the device). */
  uploadBytes: number;
  /** Bytes of outputs returned in host memory. */
  downloadBytes: number;
  /** Seconds outside session.run: building feeds, reading outputs into JS values. */
  hostSeconds: number;
  /** Seconds inside session.run: compute plus ORT's copies of the bytes above. */
  runSeconds: number;
}

export interface TransferSummary {
  /** Where the training state lived between runs: 'device' (WebGPU, resident) or 'host'. */
  state: 'host' | 'device';
  /** Bytes of one copy of the training state (parameters and optimizer slots). */
  stateBytes: number;
  train: TransferTotals;
  eval?: TransferTotals;
  readback?: TransferTotals;
  upload?: TransferTotals;
}

const BYTES: Record<string, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  uint64: 8,
  int32: 4,
  uint32: 4,
  int16: 2,
  uint16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Bytes of a tensor held in host memory; 0 for one on the device (its data is never touched). */
export function hostBytes(t: ort.Tensor): number {
  return t.location === 'cpu' || t.location === 'cpu-pinned' ? t.size * (BYTES[t.type] ?? 0) : 0;
}

export const sumHostBytes = (ts: Iterable<ort.Tensor>) => {
  let n = 0;
  for (const t of ts) n += hostBytes(t);
  return n;
};

const empty = (): TransferTotals => ({ runs: 0, uploadBytes: 0, downloadBytes: 0, hostSeconds: 0, runSeconds: 0 });

/** Per-run means of totals (0 runs: zeros). */
export function perRun(t: TransferTotals): Omit<TransferTotals, 'runs'> {
  const n = Math.max(1, t.runs);
  return {
    uploadBytes: t.uploadBytes / n,
    downloadBytes: t.downloadBytes / n,
    hostSeconds: t.hostSeconds / n,
    runSeconds: t.runSeconds / n,
  };
}

/** Accumulates TransferTotals per RunKind. */
export class TransferMeter {
  private readonly totals = new Map<RunKind, TransferTotals>();

  constructor(
    readonly state: 'host' | 'device',
    readonly stateBytes: number,
  ) {}

  /**
   * Times one call that makes ORT runs: `body` gets a `run` wrapper to call instead of
   * session.run (it counts bytes and run seconds); the rest of the call's time is host time.
   */
  async measure<T>(
    kind: RunKind,
    body: (
      run: (
        session: InferenceSession,
        feeds: Record<string, ort.Tensor>,
        fetches?: Record<string, ort.Tensor | null>,
      ) => Promise<InferenceSession.ReturnType>,
    ) => Promise<T>,
  ): Promise<T> {
    const t = this.totals.get(kind) ?? empty();
    this.totals.set(kind, t);
    const start = performance.now();
    let inside = 0;
    try {
      return await body(async (session, feeds, fetches) => {
        t.uploadBytes += sumHostBytes(Object.values(feeds));
        const r0 = performance.now();
        const out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
        inside += performance.now() - r0;
        t.runs++;
        t.downloadBytes += sumHostBytes(Object.values(out) as ort.Tensor[]);
        return out;
      });
    } finally {
      const all = performance.now() - start;
      t.runSeconds += inside / 1000;
      t.hostSeconds += Math.max(0, all - inside) / 1000;
    }
  }

  /** Totals so far for one kind (zeros when none ran). */
  get(kind: RunKind): TransferTotals {
    return { ...(this.totals.get(kind) ?? empty()) };
  }

  summary(): TransferSummary {
    const out: TransferSummary = { state: this.state, stateBytes: this.stateBytes, train: this.get('train') };
    for (const k of ['eval', 'readback', 'upload'] as const) if (this.totals.has(k)) out[k] = this.get(k);
    return out;
  }
}
