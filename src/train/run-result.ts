// What a training run hands back to its host (and to the callbacks' onRunEnd).
import type { MetricsFile } from '../metrics/types.js';
import type { HubOutcome } from './hub-push.js';

export interface RunResult {
  metrics: MetricsFile;
  outputDir: string;
  /** The final (or, when cancelled, the interrupted) checkpoint. */
  checkpointDir: string;
  /** Where report.md is (or is to be written, when the host renders it). */
  reportPath: string;
  /** Every file the run wrote that is worth uploading; callbacks add theirs (TensorBoard, report.md once written). */
  files: string[];
  /** push_to_hub: the final push (its commit, or why it failed). */
  hub?: HubOutcome;
}
