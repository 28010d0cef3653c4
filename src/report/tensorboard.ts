// TensorBoard event files from the metrics stream, so `tensorboard --logdir` works on a downloaded
// artifact. Format: TFRecord records (uint64 length, masked crc32c(length), data, masked
// crc32c(data)) holding tensorflow.Event protos; the first event carries file_version
// "brain.Event:2"; scalars are Summary.Value.simple_value. Runs are subdirectories (train,
// validation, test), so the same tag ("loss") overlays across runs in one chart.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import type { MetricsEvent } from '../metrics/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { maskedCrc32c } from './crc32c.js';

export interface Scalar {
  tag: string;
  value: number;
  step: number;
  wallTime: number;
}

/** One tensorflow.Event: wall_time=1 (double), step=2 (int64), file_version=3 | summary=5. */
export function encodeEvent(e: {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: { tag: string; value: number }[];
}): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 1).double(e.wallTime);
  if (e.step !== 0) w.uint32(2 << 3).int64(e.step);
  if (e.fileVersion !== undefined) w.uint32((3 << 3) | 2).string(e.fileVersion);
  if (e.scalars) {
    // Summary { repeated Value value = 1 }, Value { string tag = 1; float simple_value = 2 }
    w.uint32((5 << 3) | 2).fork();
    for (const s of e.scalars)
      w.uint32((1 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string(s.tag)
        .uint32((2 << 3) | 5)
        .float(s.value)
        .ldelim();
    w.ldelim();
  }
  return w.finish();
}

/** Frames one record in the TFRecord format. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** The bytes of a complete event file: the version event, then one event per scalar. */
export function eventFileBytes(scalars: Scalar[], startWallTime: number): Uint8Array {
  const records = [frameRecord(encodeEvent({ wallTime: startWallTime, step: 0, fileVersion: 'brain.Event:2' }))];
  for (const s of scalars)
    records.push(
      frameRecord(encodeEvent({ wallTime: s.wallTime, step: s.step, scalars: [{ tag: s.tag, value: s.value }] })),
    );
  const total = records.reduce((a, r) => a + r.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const r of records) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}

/** MetricsEvent.time may be epoch milliseconds or seconds; TensorBoard wants seconds. */
const seconds = (t: number) => (t > 1e11 ? t / 1000 : t);

/** Groups the metrics stream into TensorBoard runs and their scalars. */
export function scalarsByRun(events: MetricsEvent[]): Record<'train' | 'validation' | 'test', Scalar[]> {
  const runs = { train: [] as Scalar[], validation: [] as Scalar[], test: [] as Scalar[] };
  for (const e of events) {
    const wallTime = seconds(e.time);
    const add = (run: keyof typeof runs, tag: string, value: number) => {
      if (Number.isFinite(value)) runs[run].push({ tag, value, step: e.step, wallTime });
    };
    switch (e.type) {
      case 'step':
        add('train', 'loss', e.loss);
        add('train', 'learning_rate', e.lr);
        add('train', 'samples_per_sec', e.samplesPerSec);
        break;
      case 'epoch':
        add('train', 'epoch_loss', e.trainLoss);
        add('train', 'epoch', e.epoch);
        break;
      case 'validation':
      case 'test': {
        const run = e.type;
        add(run, 'loss', e.metrics.loss);
        add(run, 'accuracy', e.metrics.accuracy);
        add(run, 'f1', e.metrics.f1);
        add(run, 'precision', e.metrics.precision);
        add(run, 'recall', e.metrics.recall);
        if (e.metrics.multiLabel) {
          add(run, 'f1_micro', e.metrics.multiLabel.microF1);
          add(run, 'hamming_loss', e.metrics.multiLabel.hammingLoss);
        }
        break;
      }
    }
  }
  return runs;
}

/**
 * Writes `<logdir>/<run>/events.out.tfevents.<secs>.<host>` for each non-empty run (temp file +
 * rename, so a reader never sees half a file). Returns the written paths.
 */
export function writeTensorBoard(events: MetricsEvent[], logdir: string, opts: { host?: string } = {}): string[] {
  const runs = scalarsByRun(events);
  const start = events.length ? seconds(events[0]!.time) : Date.now() / 1000;
  const host = (opts.host ?? hostname()).replace(/[^A-Za-z0-9._-]/g, '_');
  const written: string[] = [];
  for (const [run, scalars] of Object.entries(runs)) {
    if (scalars.length === 0) continue;
    const dir = join(logdir, run);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `events.out.tfevents.${Math.floor(start)}.${host}`);
    writeFileAtomic(file, eventFileBytes(scalars, start));
    written.push(file);
  }
  return written;
}
