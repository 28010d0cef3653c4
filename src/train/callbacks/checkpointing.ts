// Checkpoints (Lightning's ModelCheckpoint with HF's save_total_limit spirit): after each epoch
// checkpoints/epoch-N by save_checkpoints (all | best | last; the best epoch's is kept until the end
// whatever the policy: final/ is made from it), the others pruned; when the fit ends checkpoints/final
// (the best epoch by monitor, or the last: test_on) with every export asked for; when it is
// cancelled checkpoints/interrupted, mid-epoch. The first checkpoint settles the output dir's claim
// (a replaced run goes for good). State: its monitor (which epoch is best), saved in each checkpoint.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportDtype } from '../../models/export.js';
import type { EpochRecord, MetricsFile } from '../../metrics/types.js';
import { OPTIMIZER_FILE } from '../checkpoint.js';
import type { Callback, CheckpointAt, EpochEnd, FitEnd, TrainerView } from '../callback.js';
import { EpochMonitor, type MonitorOptions } from '../monitor.js';

export type CheckpointPolicy = 'all' | 'best' | 'last';

export interface CheckpointingOptions {
  /** <output_dir>/checkpoints */
  root: string;
  policy: CheckpointPolicy;
  /** The metric that picks the best epoch (patience is early stopping's, not used here). */
  monitor: Omit<MonitorOptions, 'patience'>;
  testOn: 'best' | 'last';
  /** export_dtypes: the final model's ONNX exports (epoch checkpoints get model.onnx only). */
  exportDtypes: readonly ExportDtype[];
  /** The output dir's claim (output-dir.ts): settled by the first checkpoint. */
  outputClaim?: { settle(): void };
}

export class Checkpointing implements Callback {
  readonly stateKey = 'Checkpointing';
  readonly savesCheckpoints = true;
  /** metrics.json's `checkpoints`: the epoch checkpoints that exist, then final (or interrupted). */
  readonly checkpoints: MetricsFile['checkpoints'] = [];
  /** checkpoints/final, or checkpoints/interrupted when cancelled (set when the fit ends). */
  dir?: string;
  /** The epoch final/ holds. */
  finalEpoch?: number;
  monitor: EpochMonitor;
  private saved?: unknown;

  constructor(readonly o: CheckpointingOptions) {
    this.monitor = new EpochMonitor({ ...o.monitor, patience: 0 });
  }

  stateDict(): unknown {
    return { monitor: this.monitor.state() };
  }

  loadStateDict(state: unknown): void {
    this.saved = (state as { monitor?: unknown } | null)?.monitor;
  }

  onFitStart(t: TrainerView): void {
    this.monitor = EpochMonitor.resume({ ...this.o.monitor, patience: 0 }, this.saved, t.epochs);
    for (const e of t.epochs)
      if (e.checkpoint && existsSync(e.checkpoint)) this.checkpoints.push({ epoch: e.epoch, path: e.checkpoint });
  }

  async onEpochEnd(t: TrainerView, { record }: EpochEnd): Promise<void> {
    const verdict = this.monitor.update(record.epoch, record.validation);
    const policy = this.o.policy;
    if (!(policy === 'all' || policy === 'last' || verdict.best || !record.validation)) return;
    const dir = join(this.o.root, `epoch-${record.epoch}`);
    record.checkpoint = dir;
    await t.clock.time('checkpoints', async () => {
      await this.save(t, dir, { kind: 'epoch', epoch: record.epoch });
      this.checkpoints.push({ epoch: record.epoch, path: dir });
      if (policy === 'all') return;
      const best = t.epochs.find((e) => e.epoch === this.monitor.bestEpoch)?.checkpoint;
      this.prune(t.epochs, new Set([dir, ...(policy === 'last' && best ? [best] : [])]));
    });
  }

  async onCancel(t: TrainerView, end: FitEnd): Promise<void> {
    const dir = join(this.o.root, 'interrupted');
    await t.clock.time('checkpoints', () =>
      this.save(t, dir, { kind: 'interrupted', epoch: end.epoch, stepInEpoch: end.stepInEpoch }),
    );
    this.dir = dir;
    this.checkpoints.push({ epoch: 'final', path: dir });
    t.log.warning(`cancelled at step ${t.globalStep}: saved ${dir}; resume with --resume_from ${dir}`);
  }

  async onFitEnd(t: TrainerView, end: FitEnd): Promise<void> {
    const dir = join(this.o.root, 'final');
    // The final model gets every export asked for (transformers.js's q8/fp16 files); epochs fp32 only.
    await t.clock.time('checkpoints', async () => {
      this.finalEpoch = this.loadFinalModel(t);
      await this.save(t, dir, { kind: 'final', epoch: this.finalEpoch ?? end.epoch, dtypes: this.o.exportDtypes });
    });
    this.dir = dir;
    this.checkpoints.push({ epoch: 'final', path: dir });
    // A finished run needs no interrupted state any more (it may be the one this run resumed).
    rmSync(join(this.o.root, 'interrupted'), { recursive: true, force: true });
    if (this.o.policy === 'last') {
      const last = t.epochs[t.epochs.length - 1]?.checkpoint;
      this.prune(t.epochs, new Set([dir, ...(last ? [last] : [])]));
    }
  }

  /** metrics.json's monitor record (with validation only). */
  get monitorRecord(): MetricsFile['monitor'] {
    return { name: this.o.monitor.name, mode: this.monitor.mode, best: this.monitor.bestValue };
  }

  private async save(t: TrainerView, dir: string, at: CheckpointAt): Promise<void> {
    await t.saveCheckpoint(dir, at);
    this.o.outputClaim?.settle(); // the run has a checkpoint: a replaced run goes for good
  }

  /**
   * Puts the weights checkpoints/final is to hold into the runner: the best epoch's by monitor
   * (test_on best, with validation), else the last. Returns that epoch.
   */
  private loadFinalModel(t: TrainerView): number | undefined {
    const last = t.epochs[t.epochs.length - 1];
    const best = t.epochs.find((e) => e.epoch === this.monitor.bestEpoch);
    if (this.o.testOn === 'last' || !best || !last || best.epoch === last.epoch || best.step === t.globalStep)
      return last?.epoch;
    if (!best.checkpoint || !existsSync(join(best.checkpoint, OPTIMIZER_FILE))) {
      t.log.warning(
        `the best epoch (${best.epoch}) has no checkpoint on this machine any more; checkpoints/final and the test use the last epoch (${last.epoch})`,
      );
      return last.epoch;
    }
    t.loadCheckpoint(best.checkpoint);
    t.log.info(
      `checkpoints/final and the test use epoch ${best.epoch}, the best by ${this.o.monitor.name} (${this.monitor.bestValue}); the last epoch was ${last.epoch} (test_on last to use it)`,
    );
    return best.epoch;
  }

  /** Removes the epoch checkpoints not in `keep` (from disk, the checkpoint list and the epoch records). */
  private prune(epochs: EpochRecord[], keep: Set<string>): void {
    const root = this.o.root;
    for (const name of readdirSync(root)) {
      const dir = join(root, name);
      if (/^epoch-\d+$/.test(name) && !keep.has(dir)) rmSync(dir, { recursive: true, force: true });
    }
    const list = this.checkpoints;
    for (let i = list.length - 1; i >= 0; i--)
      if (!keep.has(list[i].path) && list[i].epoch !== 'final') list.splice(i, 1);
    for (const e of epochs)
      if (e.checkpoint && !keep.has(e.checkpoint) && !existsSync(e.checkpoint)) e.checkpoint = undefined;
  }
}
