// Must show (issue 15): a multi-label version of the demo data trains through the CLI and reports
// F1, with problem_type in the checkpoint's config.json; transformers.js loads the checkpoint and
// gives our sigmoid scores; predict, evaluate, the PR comment and the gates understand it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { main } from '../../src/cli/main.js';
import { prepareDemo } from '../../src/demo/prepare.js';
import { writeDemoDataset } from '../../src/demo/write.js';
import { finalMetrics } from '../../src/github/pr/compare.js';
import { evaluateGates } from '../../src/github/pr/gates.js';
import { renderStickyBody } from '../../src/github/pr/sticky-comment.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { csvField } from '../../src/util/csv.js';

const repo = new URL('../..', import.meta.url).pathname;
let root: string, model: string, data: string, out: string;
let m: MetricsFile;
const quiet = () => {
  const w = process.stdout.write;
  process.stdout.write = (() => true) as typeof w;
  return () => (process.stdout.write = w);
};

/** sentiment, plus 'negation' (a not/never/n't) and 'contrast' (", but"): labels the text decides. */
function tags(text: string, sentiment: string): string[] {
  const t = [sentiment];
  if (/\b(not|never|didn't|isn't|wasn't)\b/i.test(text)) t.push('negation');
  if (/, but /.test(text)) t.push('contrast');
  return t;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-multilabel-'));
  model = (await prepareDemo(join(root, 'demo'), 42)).model_name_or_path;
  const single = join(root, 'single');
  await writeDemoDataset(single, 11, { train: 2000, valid: 128, test: 128 });
  data = join(root, 'data');
  mkdirSync(data);
  for (const f of ['train.csv', 'valid.csv', 'test.csv']) {
    const rows = parse(readFileSync(join(single, f)), { columns: true }) as { review: string; sentiment: string }[];
    const lines = rows.map((r) => `${csvField(r.review)},${csvField(tags(r.review, r.sentiment).join('|'))}`);
    writeFileSync(join(data, f), ['review,labels', ...lines].join('\n') + '\n');
  }
  out = join(root, 'run');
  const restore = quiet();
  try {
    const code = await main([
      'train',
      ...['--datastore', data, '--model_name_or_path', model, '--output_dir', out],
      ...['--problem_type', 'multi_label_classification', '--label_column', 'labels', '--max_epochs', '8'],
      ...[
        '--batch_size',
        '16',
        '--learning_rate',
        '1e-3',
        '--warmup_ratio',
        '0.1',
        '--max_length',
        '32',
        '--weight_decay',
        '0.01',
      ],
      ...['--threads', '1', '--seed', '3', '--predictions_file', join(root, 'test-pred.csv'), '--monitor', 'val_f1'],
    ]);
    expect(code).toBe(0);
  } finally {
    restore();
  }
  m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as MetricsFile;
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('trains with BCE-with-logits and reports subset accuracy, micro/macro/per-label F1 and Hamming loss', () => {
  expect(m.labels).toEqual(['contrast', 'negation', 'negative', 'positive']);
  expect(m.task).toEqual({ problemType: 'multi_label_classification', threshold: 0.5 });
  const t = m.test!;
  expect(t.confusion).toEqual([]);
  expect(t.multiLabel!.threshold).toBe(0.5);
  // the model learned the tags: a model stuck at the label priors scores 0.68-0.71 micro F1 here;
  // seeds 1, 3 and 7 reach 0.77, 0.86 and 0.83 (batch 16; batch 32 can stall at the priors)
  expect(t.multiLabel!.microF1).toBeGreaterThan(0.75);
  expect(t.perClass.map((c) => c.label)).toEqual(m.labels);
  // recomputed from the predictions file: subset accuracy and Hamming loss
  const rows = parse(readFileSync(join(root, 'test-pred.csv')), { columns: true }) as Record<string, string>[];
  const sets = (s: string) => new Set(s.split('|').filter(Boolean));
  const eq = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  expect(rows.filter((r) => eq(sets(r.label), sets(r.predicted_label))).length / rows.length).toBe(t.accuracy);
  const wrong = rows.reduce(
    (n, r) => n + m.labels.filter((l) => sets(r.label).has(l) !== sets(r.predicted_label).has(l)).length,
    0,
  );
  expect(wrong / (rows.length * 4)).toBeCloseTo(t.multiLabel!.hammingLoss, 12);
  const report = readFileSync(join(out, 'report.md'), 'utf8');
  expect(report).toContain('| split | subset accuracy | F1 micro | F1 macro |');
  expect(report).toContain(`| test | ${(t.accuracy * 100).toFixed(2)}% | ${t.multiLabel!.microF1.toFixed(4)} |`);
  expect(report).toContain('Per-label scores (threshold 0.5)');
  expect(report).toContain('multi-label: a sigmoid per label, BCE-with-logits loss, threshold 0.5');
  expect(report).not.toContain('Confusion matrix');
});

test("config.json says problem_type; transformers.js loads the checkpoint and gives predict's sigmoid scores", async () => {
  const final = join(out, 'checkpoints', 'final');
  const cfg = JSON.parse(readFileSync(join(final, 'config.json'), 'utf8'));
  expect(cfg.problem_type).toBe('multi_label_classification');
  expect(cfg.id2label).toEqual({ 0: 'contrast', 1: 'negation', 2: 'negative', 3: 'positive' });

  const input = join(root, 'new.csv');
  const texts = ['the acting was not good, but the music was wonderful.', 'i loved this movie.'];
  writeFileSync(input, ['review', ...texts.map(csvField)].join('\n') + '\n');
  const pred = join(root, 'new-pred.csv');
  const restore = quiet();
  try {
    expect(await main(['predict', '--model', final, '--input', input, '--output', pred])).toBe(0);
  } finally {
    restore();
  }
  const ours = parse(readFileSync(pred), { columns: true }) as Record<string, string>[];
  expect(Object.keys(ours[0])).toEqual(['row', 'review', 'predicted_label', ...m.labels.map((l) => `p_${l}`)]);
  const script = `
    import { pipeline, env } from '@huggingface/transformers';
    env.allowRemoteModels = false;
    const clf = await pipeline('text-classification', process.argv[1], { dtype: 'fp32' });
    console.log(JSON.stringify(await clf(JSON.parse(process.argv[2]), { top_k: null })));`;
  const theirs = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script, final, JSON.stringify(texts)], {
      cwd: repo,
      encoding: 'utf8',
    }),
  ) as { label: string; score: number }[][];
  theirs.forEach((scores, i) => {
    expect(scores).toHaveLength(4);
    for (const s of scores) expect(s.score).toBeCloseTo(Number(ours[i][`p_${s.label}`]), 5);
    // multi-label: independent sigmoids, not a distribution
    const over = scores
      .filter((s) => s.score >= 0.5)
      .map((s) => s.label)
      .sort();
    expect(over.join('|')).toBe(ours[i].predicted_label.split('|').sort().join('|'));
  });
}, 120_000);

test('evaluate gives the test metrics; the PR comment and the gates speak of subset accuracy', async () => {
  const json = join(root, 'eval.json');
  const restore = quiet();
  try {
    const args = ['evaluate', '--model', join(out, 'checkpoints', 'final'), '--input', join(data, 'test.csv')];
    expect(await main([...args, '--label_column', 'labels', '--output', json])).toBe(0);
  } finally {
    restore();
  }
  const e = JSON.parse(readFileSync(json, 'utf8'));
  expect(e.problemType).toBe('multi_label_classification');
  expect(e.metrics.accuracy).toBe(m.test!.accuracy);
  expect(e.metrics.multiLabel.microF1).toBe(m.test!.multiLabel!.microF1);

  const body = renderStickyBody({
    title: 't',
    sha: 'a'.repeat(40),
    runUrl: 'https://github.com/o/r/actions/runs/1',
    metrics: m,
  });
  expect(body).toContain(`| subset accuracy | ${(m.test!.accuracy * 100).toFixed(2)}% |`);
  expect(body).toContain(`| F1 (micro) | ${(m.test!.multiLabel!.microF1 * 100).toFixed(2)}% |`);
  expect(body).toContain('multi-label (threshold 0.5; accuracy is subset accuracy)');
  const [gate] = evaluateGates(finalMetrics(m), undefined, { minAccuracy: 1 });
  expect(gate.message).toMatch(/^min_accuracy: subset accuracy \d+\.\d\d% is below 100\.00%/);
});

test('several 0/1 label columns (--label_column a,b,c) keep their order as the label order', async () => {
  const cols = join(root, 'cols');
  mkdirSync(cols);
  const names = ['positive', 'negative', 'negation', 'contrast'];
  for (const f of ['train.csv', 'valid.csv']) {
    const rows = parse(readFileSync(join(data, f)), { columns: true }) as { review: string; labels: string }[];
    const lines = rows.map((r) =>
      [csvField(r.review), ...names.map((n) => (r.labels.split('|').includes(n) ? '1' : '0'))].join(','),
    );
    writeFileSync(join(cols, f), [['review', ...names].join(','), ...lines].join('\n') + '\n');
  }
  const dir = join(root, 'cols-run');
  const restore = quiet();
  try {
    const code = await main([
      'train',
      ...['--datastore', cols, '--model_name_or_path', model, '--output_dir', dir, '--test_file', ''],
      ...['--problem_type', 'multi_label_classification', '--label_column', names.join(',')],
      ...['--max_epochs', '1', '--limit_train_batches', '2', '--max_length', '32', '--threads', '1'],
    ]);
    expect(code).toBe(0);
  } finally {
    restore();
  }
  const run = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as MetricsFile;
  expect(run.labels).toEqual(names);
  expect(run.dataset!.labels.train).toEqual(
    Object.fromEntries(Object.entries(m.dataset!.labels.train).sort(([a], [b]) => names.indexOf(a) - names.indexOf(b))),
  );
});
