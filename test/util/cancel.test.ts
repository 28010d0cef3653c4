// One cancellation module for both hosts: SIGINT/SIGTERM abort the run's signal; a second signal
// quits the CLI at once (130) but only says so in the action (the runner sends SIGINT, then SIGTERM,
// for one cancel, and the checkpoint is still being uploaded); dispose restores the defaults.
import { cancelOnSignals } from '../../src/util/cancel.js';
import { defaultCacheDir } from '../../src/util/cache-dir.js';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

test('CLI: the first signal aborts (training stops after the step), the second exits 130 at once', () => {
  const before = listeners();
  const said: string[] = [];
  const exits: number[] = [];
  const c = cancelOnSignals(
    'cli',
    (m) => said.push(m),
    (code) => exits.push(code),
  );
  expect(c.signal.aborted).toBe(false);
  process.emit('SIGINT', 'SIGINT');
  expect(c.signal.aborted).toBe(true);
  expect(said).toEqual([
    'SIGINT: stopping: a download or wait ends now, training after the current step with a checkpoint (press again to quit at once)',
  ]);
  expect(exits).toEqual([]);
  process.emit('SIGINT', 'SIGINT');
  expect(exits).toEqual([130]);
  c.dispose();
  expect(listeners()).toEqual(before);
});

test("action: SIGINT aborts and says the checkpoint will be uploaded; the runner's SIGTERM after it does not cut that short", () => {
  const said: string[] = [];
  const exits: number[] = [];
  const c = cancelOnSignals(
    'action',
    (m) => said.push(m),
    (code) => exits.push(code),
  );
  process.emit('SIGINT', 'SIGINT');
  process.emit('SIGTERM', 'SIGTERM');
  expect(c.signal.aborted).toBe(true);
  expect(said).toEqual([
    'SIGINT: stopping after the current step; the checkpoint will be saved and uploaded',
    'SIGTERM again: still saving and uploading the checkpoint',
  ]);
  expect(exits).toEqual([]);
  c.dispose();
});

test('the default cache dir, one per host', () => {
  expect(defaultCacheDir('cli', { XDG_CACHE_HOME: '/x' })).toBe('/x/textclf');
  expect(defaultCacheDir('cli', {})).toBe(join(homedir(), '.cache', 'textclf'));
  expect(defaultCacheDir('action', { RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' })).toBe('/opt/hostedtoolcache/textclf');
  expect(defaultCacheDir('action', {})).toBe(join(tmpdir(), 'textclf-cache'));
});
