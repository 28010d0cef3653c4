// The callbacks a training run has by default, in the order their hooks fire (Checkpointing fires
// last whatever its place: callback.ts). Order matters where one reads what another wrote: at the
// run's end TensorBoard and the Hub push come before report.md (which links the push) and the
// host's own callbacks (the action's artifact and summary).
import { join, resolve } from 'node:path';
import type { TrainFlags } from '../../config/schema.js';
import type { MetricsEvent } from '../../metrics/types.js';
import type { Callback } from '../callback.js';
import { exportDtypes } from '../export-dtypes.js';
import { Checkpointing } from './checkpointing.js';
import { EarlyStopping } from './early-stopping.js';
import { EventListener } from './event-listener.js';
import { HubPushCallback, type HubPushLike } from './hub-push.js';
import { MetricsJsonl } from './metrics-jsonl.js';
import { Progress } from './progress.js';
import { Report } from './report.js';
import { StepLog } from './step-log.js';
import { TensorBoard } from './tensorboard.js';

export { Checkpointing } from './checkpointing.js';
export { EarlyStopping } from './early-stopping.js';
export { EventListener } from './event-listener.js';
export { HubPushCallback } from './hub-push.js';
export { MetricsJsonl } from './metrics-jsonl.js';
export { Progress } from './progress.js';
export { Report } from './report.js';
export { StepLog } from './step-log.js';
export { TensorBoard } from './tensorboard.js';

export type CallbackFlags = Pick<
  TrainFlags,
  | 'save_checkpoints'
  | 'monitor'
  | 'early_stopping_patience'
  | 'early_stopping_min_delta'
  | 'test_on'
  | 'export_dtypes'
  | 'log_file'
>;

export interface DefaultCallbackOptions {
  flags: CallbackFlags;
  outputDir: string;
  /** The output dir's claim, settled by the first checkpoint. */
  outputClaim?: { settle(): void };
  /** Seconds between progress lines (CLI 10, action 30). */
  progressSeconds?: number;
  /** push_to_hub: the connected push. */
  hub?: HubPushLike;
  /** Write report.md (default); the action renders it itself. */
  report?: boolean;
  /** Called with every metrics event (after the files have it). */
  onEvent?: (e: MetricsEvent) => void;
}

export function defaultCallbacks(o: DefaultCallbackOptions): Callback[] {
  const { flags } = o;
  const monitor = { name: flags.monitor, minDelta: flags.early_stopping_min_delta };
  const checkpointing = new Checkpointing({
    root: join(o.outputDir, 'checkpoints'),
    policy: flags.save_checkpoints,
    monitor,
    testOn: flags.test_on,
    exportDtypes: exportDtypes(flags.export_dtypes),
    outputClaim: o.outputClaim,
  });
  return [
    new MetricsJsonl(join(o.outputDir, 'metrics.jsonl')),
    ...(flags.log_file ? [new StepLog(resolve(flags.log_file))] : []),
    ...(flags.early_stopping_patience > 0
      ? [new EarlyStopping({ ...monitor, patience: flags.early_stopping_patience })]
      : []),
    new Progress({ everySeconds: o.progressSeconds, monitor: flags.monitor }),
    checkpointing,
    new TensorBoard(join(o.outputDir, 'tensorboard')),
    ...(o.hub ? [new HubPushCallback(o.hub)] : []),
    ...(o.report !== false ? [new Report()] : []),
    ...(o.onEvent ? [new EventListener(o.onEvent)] : []),
  ];
}
