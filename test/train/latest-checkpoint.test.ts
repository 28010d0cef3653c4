// --resume_from last: the checkpoint with the most steps by trainer_state.json (not file times), the
// tie order, directories that are not checkpoints, and the error when there is none.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestCheckpoint } from '../../src/train/latest-checkpoint.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'latest-ckpt-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function ckpt(out: string, name: string, state: object | string, optimizer = true): string {
  const dir = join(out, 'checkpoints', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trainer_state.json'), typeof state === 'string' ? state : JSON.stringify(state));
  if (optimizer) writeFileSync(join(dir, 'optimizer.safetensors'), '');
  return dir;
}

test('the most steps wins, whatever the file times; then epochs; then interrupted, epoch-N, final', () => {
  const out = join(root, 'a');
  const e1 = ckpt(out, 'epoch-1', { epoch: 1, step: 63, labels: [] });
  const e2 = ckpt(out, 'epoch-2', { epoch: 2, step: 126, labels: [] });
  ckpt(out, 'final', { epoch: 1, step: 63, labels: [] }); // the best epoch was the first
  // epoch-1 touched last: file times must not matter
  const later = new Date(Date.now() + 60_000);
  utimesSync(e1, later, later);
  expect(latestCheckpoint(out)).toBe(e2);
  const stopped = ckpt(out, 'interrupted', { epoch: 2, stepInEpoch: 10, step: 136, labels: [] });
  expect(latestCheckpoint(out)).toBe(stopped);
  rmSync(stopped, { recursive: true });
  const fin = ckpt(out, 'final', { epoch: 2, step: 126, labels: [] });
  expect(latestCheckpoint(out)).toBe(e2); // same step: epoch-2 before final
  rmSync(e2, { recursive: true });
  expect(latestCheckpoint(out)).toBe(fin);
});

test('directories without a trainer state or optimizer state are skipped; none left is a clear error', () => {
  const out = join(root, 'b');
  ckpt(out, 'epoch-3', 'not json');
  ckpt(out, 'epoch-4', { epoch: 4, step: 9 }, false);
  ckpt(out, '.final.tmp-1', { epoch: 9, step: 999 });
  expect(() => latestCheckpoint(out)).toThrow(
    /resume_from last: .*checkpoints has no checkpoint to resume \(none with trainer_state\.json and optimizer\.safetensors\)\. Fix: drop --resume_from/,
  );
  expect(() => latestCheckpoint(join(root, 'missing'))).toThrow(/has no checkpoint to resume/);
  const ok = ckpt(out, 'epoch-1', { epoch: 1, step: 5, labels: [] });
  expect(latestCheckpoint(out)).toBe(ok);
});
