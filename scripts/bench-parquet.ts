// A big Parquet train split end to end: writes a ~200 MB snappy Parquet file of IMDB-like reviews
// (written batch by batch; row groups of 10,000 rows) into a temp dir, then runs the bundled CLI,
// `textclf train --datastore <that file> --limit_train_batches 5` on the demo's tiny BERT, and reports
// the child's peak RSS (getrusage maxrss, written at its exit), the seconds from start to the first
// optimizer step (metrics.jsonl), and the tokenizing rate in MB/s of Parquet file and of text.
// Budget: peak RSS < 1 GB. Not part of `npm test` (minutes of CPU): `npm run bench:parquet`
// (needs `npm run build` first); `--mb N` for another size.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ParquetWriter, fileWriter, schemaFromColumnData } from 'hyparquet-writer';
import { demoVocab } from '../src/demo/index.js';
import { prepareDemo } from '../src/demo/prepare.js';
import { mulberry32 } from '../src/util/random.js';

const argMb = process.argv.indexOf('--mb');
const TARGET_MB = argMb > 0 ? Number(process.argv[argMb + 1]) : 200;
const BUDGET_MB = 1024;
const ROW_GROUP = 10_000;

// The demo tokenizer's words in random order: every word is in the vocabulary (as real text mostly
// is for its model), and the text compresses about as well as real reviews in snappy Parquet.
const rand = mulberry32(42);
const WORDS = demoVocab().filter((w) => /^[a-z]+$/.test(w));
const known = (ws: string[]) => ws.filter((w) => WORDS.includes(w));
const SENTIMENT = {
  pos: known(['great', 'wonderful', 'loved', 'brilliant']),
  neg: known(['terrible', 'boring', 'hated', 'awful']),
};

function review(): { text: string; label: bigint } {
  const positive = rand() < 0.5;
  const words: string[] = [];
  let len = 0;
  const target = 300 + Math.floor(rand() * 2000); // ~1,300 characters on average, as IMDB's
  while (len < target) {
    const cue = positive ? SENTIMENT.pos : SENTIMENT.neg; // a learnable signal
    const w =
      rand() < 0.05 && cue.length ? cue[Math.floor(rand() * cue.length)]! : WORDS[Math.floor(rand() * WORDS.length)]!;
    words.push(w);
    len += w.length + 1;
  }
  return { text: words.join(' '), label: positive ? 1n : 0n };
}

function writeSplit(file: string): { rows: number; textBytes: number } {
  let writer: ParquetWriter | undefined;
  let rows = 0,
    textBytes = 0;
  while (!rows || statSync(file).size < TARGET_MB * 2 ** 20) {
    const batch = Array.from({ length: ROW_GROUP }, review);
    const columns = [
      { name: 'text', data: batch.map((r) => r.text), type: 'STRING' as const },
      { name: 'label', data: batch.map((r) => r.label), type: 'INT64' as const },
    ];
    writer ??= new ParquetWriter({ writer: fileWriter(file), schema: schemaFromColumnData({ columnData: columns }) });
    writer.write({ columnData: columns, rowGroupSize: ROW_GROUP });
    rows += batch.length;
    for (const r of batch) textBytes += Buffer.byteLength(r.text);
  }
  writer!.finish();
  return { rows, textBytes };
}

const dir = mkdtempSync(join(tmpdir(), 'textclf-bench-parquet-'));
try {
  const data = join(dir, 'data');
  const file = join(data, 'train.parquet');
  mkdirSync(data);
  const t0 = Date.now();
  const { rows, textBytes } = writeSplit(file);
  const fileMB = statSync(file).size / 2 ** 20;
  console.log(
    `wrote ${file}: ${rows} rows, ${fileMB.toFixed(1)} MB Parquet (snappy), ${(textBytes / 2 ** 20).toFixed(1)} MB of text, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const model = (await prepareDemo(join(dir, 'demo'), 42)).model_name_or_path;
  const rssFile = join(dir, 'maxrss');
  // The child writes its own peak RSS (getrusage's maxrss, kB) when it exits.
  const reporter = join(dir, 'report-rss.mjs');
  writeFileSync(
    reporter,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const out = join(dir, 'run');
  const args = [
    ...['--import', reporter, resolve('dist/cli.js'), 'train'],
    ...['--datastore', file, '--model_name_or_path', model, '--output_dir', out],
    // the demo model's max_position_embeddings is 64
    ...['--cache_dir', join(dir, 'cache'), '--max_length', '64', '--batch_size', '16'],
    ...['--limit_train_batches', '5', '--max_epochs', '1', '--threads', '2'],
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => {
    log += d;
    process.stderr.write(d);
  });
  const code: number = await new Promise((ok) => child.on('close', ok));
  const wall = (Date.now() - started) / 1000;
  if (code !== 0) throw new Error(`textclf train exited ${code}:\n${log.slice(-3000)}`);
  const peakMB = Number(readFileSync(rssFile, 'utf8')) / 1024;
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; time: number; step?: number });
  const first = steps.find((e) => e.type === 'step')!;
  const toFirstStep = first.time - started / 1000;
  const tok = /train: (\d+) rows from .* (\d+) tokens tokenized in ([\d.]+) s/.exec(log);
  if (!tok) throw new Error('no tokenizing line in the log');
  const tokSeconds = Number(tok[3]);
  console.log(`\ntrain: ${tok[1]} rows, ${tok[2]} tokens (max_length 64) tokenized in ${tokSeconds} s`);
  console.log(
    `tokenizing: ${(fileMB / tokSeconds).toFixed(1)} MB/s of Parquet, ${(textBytes / 2 ** 20 / tokSeconds).toFixed(1)} MB/s of text`,
  );
  console.log(
    `first optimizer step ${toFirstStep.toFixed(1)} s after the start; ${steps.filter((e) => e.type === 'step').length} steps; wall ${wall.toFixed(1)} s`,
  );
  console.log(`peak RSS of textclf train: ${peakMB.toFixed(0)} MB (budget ${BUDGET_MB} MB)`);
  console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  if (peakMB >= BUDGET_MB) {
    console.error(`over budget: peak RSS ${peakMB.toFixed(0)} MB >= ${BUDGET_MB} MB`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
