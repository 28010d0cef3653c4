// Hub model downloads get what datastore downloads have (issue 21): a hub that never answers fails
// after download_timeout, naming it; a cancel ends a download at once; a file that stalls mid-way
// fails within download_time_limit; failing answers are retried and the retries logged; long
// downloads print progress with bytes and rate. Nothing half-downloaded stays in the cache. The
// hub is a real HTTP server on 127.0.0.1 serving the hub's URL layout ({id}/resolve/{rev}/{file}).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../../src/models/errors.js';
import { resolveModel, type ResolveOptions } from '../../src/models/hub.js';
import { CancelledError } from '../../src/util/cancel.js';
import { startDatastoreServer, type Route, type TestServer } from '../helpers/datastore-server.js';
import { writeTinyModel } from './tiny-model.js';

let work: string;
let hub: TestServer;
const lines: string[] = [];
let files: Record<string, Buffer>;

const at = (id: string, file: string) => `/${id}/resolve/main/${file}`;
/** The tiny model's files under `id`, with `over` replacing some routes. */
const model = (id: string, over: Record<string, Route> = {}): Record<string, Route> => ({
  ...Object.fromEntries(Object.entries(files).map(([f, body]) => [at(id, f), { body }])),
  ...Object.fromEntries(Object.entries(over).map(([f, r]) => [at(id, f), r])),
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'textclf-hub-faults-'));
  writeTinyModel(join(work, 'tiny'), { files: ['config.json', 'model.safetensors', 'tokenizer.json'] });
  files = Object.fromEntries(
    ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, readFileSync(join(work, 'tiny', f))]),
  );
  hub = await startDatastoreServer({
    ...model('org/silent', { 'config.json': { stall: 'headers' } }),
    ...model('org/stall-weights', { 'model.safetensors': { body: files['model.safetensors'], stall: 'body' } }),
    ...model('org/busy', { 'model.safetensors': { body: files['model.safetensors'], failFirst: 1 } }),
    ...model('org/slow', { 'model.safetensors': { body: files['model.safetensors'], delayMs: 150 } }),
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  lines.length = 0;
});

let n = 0;
const opts = (extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
  hubUrl: hub.url('/'),
  cacheDir: join(work, `cache-${++n}`),
  log: { info: (m) => lines.push(m) },
  retry: { minSeconds: 0, maxSeconds: 0 },
  ...extra,
});
/** Files left in a cache folder (temp .part files included). */
const cached = (o: ResolveOptions) =>
  existsSync(o.cacheDir) ? (readdirSync(o.cacheDir, { recursive: true }) as string[]).map(String).sort() : [];

async function failure(id: string, o: ResolveOptions): Promise<{ err: Error; seconds: number }> {
  const t0 = Date.now();
  const err = await resolveModel(id, o).then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  return { err, seconds: (Date.now() - t0) / 1000 };
}

test('a hub that accepts and never answers fails after download_timeout, naming it and the fix', async () => {
  const o = opts({ timeoutMs: 500 });
  const { err, seconds } = await failure('org/silent', o);
  expect(err).toBeInstanceOf(ModelError);
  expect(err.message).toBe(
    `downloading ${hub.url('/org/silent/resolve/main/config.json')} timed out: the server accepted the connection but sent no answer for 0.5 s, the download_timeout. ` +
      'Fix: check hub_url / HF_ENDPOINT and that the hub is reachable from this machine; if it is only slow, raise download_timeout (seconds; 0 waits forever)',
  );
  expect(seconds).toBeGreaterThanOrEqual(0.45);
  expect(seconds).toBeLessThan(1.5);
  expect(cached(o).filter((f) => f.includes('.part-'))).toEqual([]);
});

test('a cancel ends a stalled hub download at once and leaves no partial file', async () => {
  const controller = new AbortController();
  const o = opts({ signal: controller.signal });
  const pending = failure('org/silent', o);
  await new Promise((r) => setTimeout(r, 300));
  const open = hub.openConnections();
  expect(open).toBeGreaterThanOrEqual(1);
  const t0 = Date.now();
  controller.abort();
  const { err } = await pending;
  expect(err).toBeInstanceOf(CancelledError);
  expect(err.message).toBe(`cancelled while downloading ${hub.url('/org/silent/resolve/main/config.json')}`);
  expect(Date.now() - t0).toBeLessThan(200);
  expect(cached(o).filter((f) => f.includes('.part-'))).toEqual([]);
  await new Promise((r) => setTimeout(r, 100));
  expect(hub.openConnections()).toBe(open - 1);
});

test('weights that stall mid-file fail within download_time_limit, each retry in the log', async () => {
  const o = opts({ timeoutMs: 300, timeLimitMs: 800 });
  const { err, seconds } = await failure('org/stall-weights', o);
  expect(err).toBeInstanceOf(ModelError);
  expect(err.message).toMatch(
    /^downloading http:\/\/127\.0\.0\.1:\d+\/org\/stall-weights\/resolve\/main\/model\.safetensors did not finish within 0\.8 s, the download_time_limit \(last: the time limit passed after [\d.]+ (B|KiB) of this attempt\)\. Fix: .*raise download_time_limit/,
  );
  expect(seconds).toBeLessThan(1.3);
  expect(lines.filter((l) => /^Download of .*model\.safetensors failed \(the download stalled/.test(l))).toHaveLength(
    2,
  );
  expect(cached(o).filter((f) => f.includes('.part-'))).toEqual([]);
  expect(cached(o)).not.toContain(join('org', 'stall-weights', 'model.safetensors'));
});

test('a failing answer is retried (and said); a long download prints bytes and rate', async () => {
  const busy = await resolveModel('org/busy', opts());
  expect(readFileSync(busy.weights)).toEqual(files['model.safetensors']);
  expect(lines).toEqual([
    `Downloading hub model 'org/busy' at ${hub.url('/')} into ${busy.dir}`,
    expect.stringMatching(
      /^Download of http:\/\/127\.0\.0\.1:\d+\/org\/busy\/resolve\/main\/model\.safetensors failed \(HTTP 500\); attempt 2 of 3 in 0 s$/,
    ),
  ]);
  lines.length = 0;
  await resolveModel('org/slow', opts({ progressIntervalMs: 100 }));
  expect(lines[1]).toMatch(
    /^Downloading http:\/\/127\.0\.0\.1:\d+\/org\/slow\/resolve\/main\/model\.safetensors: \d+\.\d KiB of \d+\.\d KiB \(\d+%\), [\d.]+ (B|KiB|MiB)\/s$/,
  );
  expect(lines.at(-1)).toMatch(
    /^Downloaded http:.*\/org\/slow\/resolve\/main\/model\.safetensors: \d+\.\d KiB in \d+s$/,
  );
});
