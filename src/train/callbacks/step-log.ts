// --log_file: one JSON line per optimizer step (step, epoch, loss, lr, grad_norm, samples_per_s;
// under mixed precision the loss scale and whether the step was skipped), in train.py's names. A
// resumed run appends to it.
import type { Callback, StepEvent, TrainerView } from '../callback.js';
import { JsonlWriter } from '../jsonl.js';

export class StepLog implements Callback {
  private writer?: JsonlWriter;

  constructor(readonly path: string) {}

  onFitStart(t: TrainerView): void {
    this.writer = new JsonlWriter(this.path, !!t.resumedFrom);
  }

  onTrainStepEnd(_t: TrainerView, e: StepEvent): void {
    this.writer?.write({
      step: e.step,
      epoch: e.epoch,
      loss: e.loss,
      lr: e.lr,
      grad_norm: e.gradNorm,
      ...(e.lossScale !== undefined && { loss_scale: e.lossScale, skipped: e.skipped }),
      samples_per_s: e.samplesPerSec,
    });
  }
}
