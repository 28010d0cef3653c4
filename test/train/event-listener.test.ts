// onEvent (Lightning's LambdaCallback for the metrics stream): every event, in the order
// metrics.jsonl has them, after the files have them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsEvent } from '../../src/metrics/types.js';
import type { Callback } from '../../src/train/callback.js';
import { EventListener } from '../../src/train/callbacks/index.js';
import { eventsOf, fakeRun } from './fake-run.js';

test('in the default list: the same events as metrics.jsonl, each once it is in the file', async () => {
  const seen: MetricsEvent[] = [];
  const out = mkdtempSync(join(tmpdir(), 'textclf-listener-'));
  const onEvent = (e: MetricsEvent) => {
    seen.push(e);
    // metrics.jsonl already holds it
    expect(eventsOf(join(out, 'metrics.jsonl')).at(-1)).toEqual(e);
  };
  const r = await fakeRun({ out, maxEpochs: 2, valLoss: [0.5, 0.4], defaults: { onEvent } });
  await r.finish();
  expect(seen).toEqual(eventsOf(join(r.out, 'metrics.jsonl')));
  expect(seen.map((e) => e.type)).toContain('test');
});

test('removed from the list, onEvent hears nothing', async () => {
  const seen: MetricsEvent[] = [];
  const r = await fakeRun({
    defaults: { onEvent: (e) => void seen.push(e) },
    edit: (cbs: Callback[]) => cbs.filter((c) => !(c instanceof EventListener)),
  });
  await r.finish();
  expect(seen).toEqual([]);
});
