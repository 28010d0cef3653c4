// What the CLI and training tests start from: a temporary folder with the demo's tiny BERT
// (prepareDemo, seed 42) and a demo dataset of the given sizes; and a process stream captured
// per test (the CLI's messages), restored after each.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { writeDemoDataset } from '../../src/demo/write.js';

export interface DemoWorkspace {
  root: string;
  /** The demo model directory. */
  model: string;
  /** The dataset written by writeDemoDataset(seed, sizes). */
  data: string;
}

export async function demoWorkspace(
  prefix: string,
  seed: number,
  sizes: { train: number; valid: number; test: number },
): Promise<DemoWorkspace> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const model = (await prepareDemo(join(root, 'demo'), 42)).model_name_or_path;
  const data = join(root, 'data');
  await writeDemoDataset(data, seed, sizes);
  return { root, model, data };
}

/** The writes to process.stdout or process.stderr during each test (emptied before each). */
export function captureStream(name: 'stdout' | 'stderr'): string[] {
  const lines: string[] = [];
  let write: typeof process.stderr.write;
  beforeEach(() => {
    lines.length = 0;
    write = process[name].write;
    process[name].write = ((s: string) => lines.push(String(s)) > 0) as typeof write;
  });
  afterEach(() => {
    process[name].write = write;
  });
  return lines;
}
