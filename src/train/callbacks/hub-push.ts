// --push_to_hub as a callback (the push itself, with HF Trainer's hub_strategy, is hub-push.ts):
// the repo is made sure of when the fit starts, each epoch checkpoint is pushed in the background
// as it is saved (every_save, checkpoint), and the final model with its card once metrics.json is
// written; its outcome goes into the run's result. The connection (token, repo id) is checked, and
// closed, by the run around it (run.ts), before anything is read.
import type { Callback, CheckpointAt, TrainerView } from '../callback.js';
import type { HubPush } from '../hub-push.js';
import type { RunResult } from '../run-result.js';

export type HubPushLike = Pick<HubPush, 'ensureRepo' | 'checkpointSaved' | 'finish'>;

export class HubPushCallback implements Callback {
  constructor(readonly hub: HubPushLike) {}

  async onFitStart(): Promise<void> {
    await this.hub.ensureRepo();
  }

  onSaveCheckpoint(_t: TrainerView, saved: CheckpointAt & { dir: string }): void {
    if (saved.kind === 'epoch') this.hub.checkpointSaved(saved.dir, saved.epoch);
  }

  /** Every local result is written before the push: a push that fails takes nothing away. */
  async onRunEnd(_t: TrainerView, result: RunResult): Promise<void> {
    result.hub = await this.hub.finish({
      dir: result.checkpointDir,
      metrics: result.metrics,
      cancelled: !!result.metrics.run.cancelled,
    });
  }
}
