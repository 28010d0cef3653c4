import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../src/report/crc32c.js';
import { eventFileBytes, writeTensorBoard } from '../../src/report/tensorboard.js';
import type { MetricsEvent } from '../../src/metrics/types.js';
import { sampleMetrics } from './fixture.js';
import { decodeEventFile } from '../helpers/tfevents.js';

describe('crc32c', () => {
  test('RFC 3720 B.4 test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });
  test('agrees with an independent implementation (crc-32/crc32c) on random data', () => {
    const ref = createRequire(import.meta.url)('crc-32/crc32c') as { buf(b: Uint8Array): number };
    for (let n = 0; n < 50; n++) {
      const b = Uint8Array.from({ length: n * 7 + 1 }, (_, i) => (i * 2654435761 + n) & 0xff);
      expect(crc32c(b)).toBe(ref.buf(b) >>> 0);
    }
  });
  test('mask is rotate-right-15 plus 0xa282ead8', () => {
    const c = crc32c(new Uint8Array(32));
    expect(maskedCrc32c(new Uint8Array(32))).toBe((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
  });
});

describe('TensorBoard event files', () => {
  test('first record is the brain.Event:2 version event; scalars follow with steps and wall times', () => {
    const bytes = eventFileBytes(
      [
        { tag: 'loss', value: 0.6931, step: 1, wallTime: 1764129600.25 },
        { tag: 'loss', value: 0.5, step: 2 ** 40, wallTime: 1764129601.5 },
      ],
      1764129600,
    );
    const ev = decodeEventFile(bytes);
    expect(ev[0]).toEqual({ wallTime: 1764129600, step: 0, fileVersion: 'brain.Event:2', values: [] });
    expect(ev[1]!.step).toBe(1);
    expect(ev[1]!.wallTime).toBe(1764129600.25);
    expect(ev[1]!.values[0]!.tag).toBe('loss');
    expect(ev[1]!.values[0]!.simpleValue).toBeCloseTo(0.6931, 6);
    expect(ev[2]!.step).toBe(2 ** 40);
  });

  test('a metrics stream becomes train/validation/test runs in a logdir', () => {
    const m = sampleMetrics();
    const t0 = Date.parse('2026-11-26T04:00:00Z');
    const events: MetricsEvent[] = [
      { type: 'step', step: 1, epoch: 1, loss: 1.1, lr: 1e-5, samplesPerSec: 50, time: t0 + 1000 },
      { type: 'step', step: 2, epoch: 1, loss: 0.9, lr: 2e-5, samplesPerSec: 55, time: t0 + 2000 },
      { type: 'epoch', step: 2, epoch: 1, trainLoss: 1.0, time: t0 + 2100 },
      { type: 'validation', step: 2, epoch: 1, metrics: m.epochs[0]!.validation!, time: t0 + 2500 },
      { type: 'test', step: 2, metrics: m.test!, time: t0 + 3000 },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'tb-'));
    try {
      const files = writeTensorBoard(events, dir, { host: 'runner/1' });
      expect(readdirSync(dir).sort()).toEqual(['test', 'train', 'validation']);
      expect(files.every((f) => /\/events\.out\.tfevents\.\d+\.runner_1$/.test(f))).toBe(true);
      const train = decodeEventFile(readFileSync(join(dir, 'train', readdirSync(join(dir, 'train'))[0]!)));
      const loss = train.flatMap((e) =>
        e.values.filter((v) => v.tag === 'loss').map((v) => [e.step, +v.simpleValue.toFixed(4), e.wallTime]),
      );
      expect(loss).toEqual([
        [1, 1.1, (t0 + 1000) / 1000],
        [2, 0.9, (t0 + 2000) / 1000],
      ]);
      const lr = train.flatMap((e) => e.values.filter((v) => v.tag === 'learning_rate').map((v) => v.simpleValue));
      expect(lr[1]).toBeCloseTo(2e-5, 10);
      const val = decodeEventFile(readFileSync(join(dir, 'validation', readdirSync(join(dir, 'validation'))[0]!)));
      expect(val[1]!.values.map((v) => v.tag)).toEqual(['loss']);
      const acc = val.find((e) => e.values[0]?.tag === 'accuracy')!;
      expect(acc.values[0]!.simpleValue).toBeCloseTo(0.78, 6);
      const test = decodeEventFile(readFileSync(join(dir, 'test', readdirSync(join(dir, 'test'))[0]!)));
      expect(test.find((e) => e.values[0]?.tag === 'accuracy')!.values[0]!.simpleValue).toBeCloseTo(0.92, 6);
      expect(readdirSync(join(dir, 'train')).some((f) => f.endsWith('.tmp'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
