// The runner's options for a training run, in one place, and the check that the run fits the
// device's buffers before any data is read: with a buffer limit (WebGPU), the step graph of the
// model in config.json is built as the runner will build it (the label count only sizes the
// classifier, so a stand-in is used until the data says) and checked at batch_size x max_length.
// A parameter that cannot be sharded, or an activation over the limit, fails here in seconds with
// the tensor, its size, the limit and the fix (BufferLimitError), instead of after tokenization or
// deep inside ONNX Runtime.
import type { TrainFlags } from '../config/schema.js';
import { formatBytes } from '../engine/buffer-limits.js';
import type { RunnerOptions } from '../engine/runner.js';
import { planStepGraph } from '../engine/runner.js';
import type { StateLayout } from '../engine/state-layout.js';
import { numElements } from '../util/shape.js';
import { readModelConfig } from '../models/registry.js';
import { TaskModel } from '../models/task.js';
import type { DeviceCaps } from '../runtime/capabilities.js';
import type { Device } from '../runtime/device.js';
import type { HalfType } from '../runtime/precision.js';

/** Everything of the runner's options that flags and the device decide (not the weights). */
export function stepOptions(
  flags: TrainFlags,
  device: Device,
  caps: DeviceCaps,
  compute: HalfType | undefined,
  o: { allowCpuMixedPrecision?: boolean } = {},
): Omit<RunnerOptions, 'params'> {
  return {
    optimizer: { kind: 'adamw', eps: flags.adam_epsilon, weightDecay: flags.weight_decay },
    maxGradNorm: flags.max_grad_norm,
    accumulate: flags.accumulate_grad_batches,
    // One step per run needs no Scan; otherwise the runner picks (none when the state stays on the device).
    loop: flags.steps_per_run === 1 ? false : undefined,
    device,
    caps,
    bounds: {
      dims: { batch: flags.batch_size, seq: flags.max_length },
      fix: 'lower --batch_size or --max_length (with --accumulate_grad_batches to keep the effective batch), or train on --device cpu or cuda (no such limit)',
    },
    threads: flags.threads,
    ...(compute && {
      precision: { compute },
      initScale: flags.init_loss_scale,
      allowCpuMixedPrecision: o.allowCpuMixedPrecision,
    }),
  };
}

/**
 * Throws BufferLimitError when the model of `configFile` cannot train on a device with a buffer
 * limit at the flags' batch size and length; `labels`: the label count when known (a resume).
 */
export function checkModelFits(
  configFile: string,
  labels: number | undefined,
  options: Omit<RunnerOptions, 'params'>,
): void {
  if (options.caps?.graphs.maxBufferBytes === undefined) return;
  const { family, config } = readModelConfig(configFile);
  const model = new TaskModel(family.create(config, Math.max(labels ?? 2, 2), {}));
  planStepGraph(model, options);
}

/** One line per parameter the state holds in row shards (over the device's buffer limit), for the log. */
export function describeShards(layout: StateLayout, caps: DeviceCaps): string[] {
  const lines: string[] = [];
  for (const [name, pieces] of layout.pieces) {
    if (pieces.length < 2) continue;
    const bytes = numElements(pieces[0].spec.shape) * 4;
    lines.push(
      `${name} [${pieces[0].spec.shape.join(', ')}] (${formatBytes(bytes)}) is trained in ${pieces.length} row shards: it is over the device's buffer limit of ${formatBytes(caps.graphs.maxBufferBytes ?? 0)} (${caps.graphs.limitSource ?? 'the device'}); checkpoints hold it whole`,
    );
  }
  return lines;
}
