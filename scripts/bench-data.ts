// Generates a 50,000-row IMDB-sized CSV (~65 MB: quoted reviews with commas, "" quotes and
// embedded newlines, like the real one) and reads it with the streaming CSV reader.
// Budget on the 2-core dev machine: <= 3 s and <= 300 MB added RSS.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readExamples } from '../src/data/readers/index.js';
import { buildLabelMap, applyLabelMap } from '../src/data/labels.js';
import { datasetStats } from '../src/data/stats.js';
import { mulberry32 } from '../src/util/random.js';

const ROWS = 50_000;
const BUDGET = { seconds: 3, rssMB: 300 };

const WORDS = (
  'the movie film was great terrible acting plot story characters director scene ending ' +
  'beautiful boring brilliant awful music performance script camera I loved hated it and but'
).split(' ');

/** Deterministic pseudo-random reviews averaging ~1,300 characters. */
async function generate(file: string): Promise<void> {
  const rand = mulberry32(42);
  const out = createWriteStream(file);
  out.write('review,sentiment\n');
  for (let i = 0; i < ROWS; i++) {
    const words: string[] = [];
    let len = 0;
    const target = 300 + Math.floor(rand() * 2160);
    while (len < target) {
      let w = WORDS[Math.floor(rand() * WORDS.length)]!;
      const r = rand();
      if (r < 0.03) w += ',';
      else if (r < 0.04) w = `""${w}""`;
      else if (r < 0.045) w += '.<br /><br />';
      else if (r < 0.047) w += '.\n';
      words.push(w);
      len += w.length + 1;
    }
    const line = `"${words.join(' ')}",${rand() < 0.5 ? 'positive' : 'negative'}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const dir = mkdtempSync(join(tmpdir(), 'textclf-bench-data-'));
try {
  const file = join(dir, 'train.csv');
  await generate(file);
  const mb = statSync(file).size / 2 ** 20;
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { examples, columns } = await readExamples(file);
  const readSeconds = (performance.now() - t0) / 1000;
  const map = buildLabelMap(examples);
  applyLabelMap(examples, map, file);
  const stats = datasetStats({ train: examples });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const addedMB = (peak - rss0) / 2 ** 20;
  console.log(`file: ${ROWS} rows, ${mb.toFixed(1)} MB (columns ${columns.text}/${columns.label})`);
  console.log(
    `read: ${examples.length} examples in ${readSeconds.toFixed(2)} s; with labels + stats ${seconds.toFixed(2)} s`,
  );
  console.log(
    `labels: ${map.labels.join(', ')}; text length p50 ${stats.textLength.train!.p50}, p99 ${stats.textLength.train!.p99}`,
  );
  console.log(
    `cpu: ${cpuSeconds.toFixed(2)} s (user+system); load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  );
  console.log(`added RSS (peak while reading): ${addedMB.toFixed(0)} MB`);
  // On a shared machine wall time includes waiting for a core; CPU time is the work itself.
  const loaded = loadavg()[0]! > cpus().length;
  const timeOk = seconds <= BUDGET.seconds || (loaded && cpuSeconds <= BUDGET.seconds);
  const ok = timeOk && addedMB <= BUDGET.rssMB;
  const how = seconds <= BUDGET.seconds ? 'wall' : loaded ? 'cpu; wall inflated by load' : 'wall';
  console.log(`budget (<= ${BUDGET.seconds} s, <= ${BUDGET.rssMB} MB): ${ok ? 'PASS' : 'FAIL'} (${how})`);
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
