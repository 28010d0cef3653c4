// `textclf predict`: score a file, stdin (`--input -`) or texts (`--text`, repeatable) with a trained
// model; prints where the predictions are, or the predictions themselves as JSON lines on stdout.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlagError, parseFlags } from '../config/parse.js';
import { runPredict, STDOUT } from '../train/predict.js';
import type { Logger } from '../util/logger.js';

export async function predictCommand(
  raw: Record<string, string>,
  log: Logger,
  cacheDir: string,
  lists: Record<string, string[]> = {},
): Promise<number> {
  const { text, ...flags } = parseFlags(raw, 'cli', 'predict');
  const texts = text === undefined ? undefined : (lists.text ?? [text]);
  if (flags.input !== '-') return report(await runPredict(flags, { log, defaultCacheDir: cacheDir, texts }), log);
  // stdin: into a temp file first (the readers stream files; their errors name it 'stdin')
  const dir = await mkdtemp(join(tmpdir(), 'textclf-stdin-'));
  try {
    const bytes = await readStdin();
    if (!bytes.length)
      throw new FlagError('input', '--input -: stdin is empty; pipe CSV (with a header row) or JSONL into it');
    const file = join(dir, `stdin.${formatOf(bytes)}`);
    await writeFile(file, bytes);
    return report(
      await runPredict({ ...flags, input: file }, { log, defaultCacheDir: cacheDir, inputName: 'stdin' }),
      log,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(r: Awaited<ReturnType<typeof runPredict>>, log: Logger): number {
  const counts = Object.entries(r.counts)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
  // stdout carries the predictions themselves when they go there: the summary goes to the log then
  if (r.output === STDOUT) log.info(`${r.rows} rows predicted (${counts})`);
  else process.stdout.write(`\n${r.rows} rows predicted (${counts})\npredictions: ${r.output}\n`);
  return 0;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON lines start with '{', Parquet with PAR1; anything else is read as CSV with a header row. */
function formatOf(bytes: Buffer): 'jsonl' | 'parquet' | 'csv' {
  if (bytes.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  const head = bytes
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return head.startsWith('{') ? 'jsonl' : 'csv';
}
