// Each default trainer callback, removed from defaultCallbacks (src/train/callbacks/index.ts) in
// turn: its unit test in test/train/ must then fail. Restores the file afterwards.
//   node --import tsx scripts/callback-mutations.ts [ClassName...]
// Exits 1 when a test still passes without its callback.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = 'src/train/callbacks/index.ts';
/** Class -> its test file. */
const TESTS: Record<string, string> = {
  MetricsJsonl: 'test/train/metrics-jsonl.test.ts',
  StepLog: 'test/train/step-log.test.ts',
  EarlyStopping: 'test/train/early-stopping.test.ts',
  Progress: 'test/train/progress.test.ts',
  Checkpointing: 'test/train/checkpointing.test.ts',
  TensorBoard: 'test/train/tensorboard.test.ts',
  HubPushCallback: 'test/train/hub-push-callback.test.ts',
  Report: 'test/train/report.test.ts',
  EventListener: 'test/train/event-listener.test.ts',
};

/** The element of defaultCallbacks' returned list that adds `name` (one or more whole lines). */
function entryOf(source: string, name: string): string {
  const list = source.slice(source.indexOf('  return [\n'));
  const entries = list.match(/^ {4}\S[\s\S]*?,\n(?= {4}\S| {2}\];)/gm) ?? [];
  const entry = entries.find(
    (e) => e.includes(`new ${name}(`) || e.trim() === `${name[0].toLowerCase()}${name.slice(1)},`,
  );
  if (!entry) throw new Error(`${name}: not found in ${FILE}'s default list`);
  return entry;
}

const source = readFileSync(FILE, 'utf8');
const only = process.argv.slice(2);
let survived = 0;
try {
  for (const [name, test] of Object.entries(TESTS)) {
    if (only.length && !only.includes(name)) continue;
    writeFileSync(FILE, source.replace(entryOf(source, name), ''));
    const r = spawnSync('npx', ['jest', test, '--maxWorkers=1'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' },
    });
    const out = `${r.stdout}${r.stderr}`;
    const tests = /Tests: +(.*)/.exec(out)?.[1] ?? '?';
    if (r.status === 0) survived++;
    process.stdout.write(`${name.padEnd(16)} removed: ${test} ${r.status ? 'fails' : 'STILL PASSES'} (${tests})\n`);
  }
} finally {
  writeFileSync(FILE, source);
}
process.exitCode = survived ? 1 : 0;
