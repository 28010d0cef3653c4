// The classification loss pieces (models/loss.ts): gradients against finite differences (float64),
// and values and gradients against torch's own cross_entropy / binary_cross_entropy_with_logits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradients } from '../../src/autodiff/backward.js';
import { classificationLoss, type LossOptions } from '../../src/models/loss.js';
import { Graph } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { mulberry32 } from '../../src/util/random.js';
import { gradCheck, randn } from '../helpers/gradcheck.js';
import { python, requireTorch } from '../parity/reference.js';

const N = 6,
  C = 4;
const r = mulberry32(11);
const logits = randn(N * C, r).map((v) => v * 3);
const labels = [0, 3, 1, 1, 2, 3];
const targets = Array.from({ length: N * C }, () => (r() < 0.4 ? 1 : 0));
const weights = [0.5, 2, 1.25, 3];

const single =
  (o: LossOptions) =>
  (g: Graph, [x, y]: ReturnType<Graph['input']>[]) =>
    classificationLoss(g, x, y, o);
const multi = (o: Omit<LossOptions, 'problemType'>) => single({ ...o, problemType: 'multi_label_classification' });

describe('gradients against finite differences (float64)', () => {
  const ce = [
    { name: 'logits', shape: [N, C], data: logits },
    { name: 'labels', shape: [N], dtype: 'int64' as const, data: labels, grad: false },
  ];
  const bce = [
    { name: 'logits', shape: [N, C], data: logits },
    { name: 'targets', shape: [N, C], data: targets, grad: false },
  ];
  test.each([
    ['class weights', { classWeights: weights }],
    ['label smoothing', { labelSmoothing: 0.1 }],
    ['both', { classWeights: weights, labelSmoothing: 0.2 }],
  ])('cross-entropy with %s', async (_, o) => {
    const res = await gradCheck(ce, single(o), { atol: 1e-9, rtol: 1e-7 });
    expect(res.checked).toBe(N * C);
  });
  test.each([
    ['plain', {}],
    ['pos_weight', { classWeights: weights }],
    ['smoothing and pos_weight', { classWeights: weights, labelSmoothing: 0.1 }],
  ])('BCE-with-logits, %s', async (_, o) => {
    const res = await gradCheck(bce, multi(o), { atol: 1e-9, rtol: 1e-7 });
    expect(res.checked).toBe(N * C);
  });
});

/** Our loss and d loss / d logits in float64 through ONNX Runtime. */
async function ours(o: LossOptions): Promise<{ loss: number; grad: number[] }> {
  const g = new Graph('loss');
  const x = g.input('logits', 'float64', [N, C]);
  const ml = o.problemType === 'multi_label_classification';
  const y = ml ? g.input('y', 'float64', [N, C]) : g.input('y', 'int64', [N]);
  const loss = classificationLoss(g, x, y, o);
  g.output(loss, 'loss');
  g.output(gradients(loss, [x])[0], 'grad');
  const s = await sessionFor(g);
  const out = await s.run({
    logits: tensor('float64', Float64Array.from(logits), [N, C]),
    y: ml
      ? tensor('float64', Float64Array.from(targets), [N, C])
      : tensor('int64', BigInt64Array.from(labels.map(BigInt)), [N]),
  });
  await s.release();
  return { loss: Number(out.loss.data[0]), grad: Array.from(out.grad.data as Float64Array) };
}

test("values and gradients equal torch's cross_entropy and binary_cross_entropy_with_logits", async () => {
  requireTorch();
  const cases: { o: LossOptions; torch: Record<string, unknown> }[] = [
    { o: {}, torch: { kind: 'ce', smoothing: 0 } },
    { o: { classWeights: weights }, torch: { kind: 'ce', smoothing: 0, weights } },
    { o: { labelSmoothing: 0.1 }, torch: { kind: 'ce', smoothing: 0.1 } },
    { o: { classWeights: weights, labelSmoothing: 0.3 }, torch: { kind: 'ce', smoothing: 0.3, weights } },
    { o: { problemType: 'multi_label_classification' }, torch: { kind: 'bce', smoothing: 0 } },
    {
      o: { problemType: 'multi_label_classification', classWeights: weights, labelSmoothing: 0.2 },
      torch: { kind: 'bce', smoothing: 0.2, weights },
    },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'textclf-loss-'));
  try {
    const file = join(dir, 'cases.json');
    writeFileSync(
      file,
      JSON.stringify(cases.map((c) => ({ ...c.torch, logits: rows(logits), labels, targets: rows(targets) }))),
    );
    const ref = JSON.parse(python([fileURLToPath(new URL('torch_loss.py', import.meta.url)), file])) as {
      loss: number;
      grad: number[];
    }[];
    for (const [i, c] of cases.entries()) {
      const got = await ours(c.o);
      expect(Math.abs(got.loss - ref[i].loss)).toBeLessThan(1e-12 * Math.max(1, Math.abs(ref[i].loss)));
      got.grad.forEach((v, j) => expect(Math.abs(v - ref[i].grad[j])).toBeLessThan(1e-12));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const rows = (flat: number[]) => Array.from({ length: N }, (_, i) => flat.slice(i * C, (i + 1) * C));
