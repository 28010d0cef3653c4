// The runner's copies-vs-compute meter as the run record stores it (metrics.json `run.transfers`).
import { perRun, type TransferSummary, type TransferTotals } from '../engine/transfers.js';
import type { RunCopies, TransferInfo } from '../metrics/types.js';

const copies = (t: TransferTotals): RunCopies => ({ ...t, perRun: perRun(t) });

export function transferInfo(s: TransferSummary): TransferInfo {
  return {
    state: s.state,
    stateBytes: s.stateBytes,
    train: copies(s.train),
    ...(s.eval ? { eval: copies(s.eval) } : {}),
    ...(s.readback ? { readback: copies(s.readback) } : {}),
    ...(s.upload ? { upload: copies(s.upload) } : {}),
  };
}
