// Where ONNX Runtime 1.30 places the train and eval graphs built for webgpu and legalized for it
// (src/onnx/legalize.ts; Mesa's lavapipe here): every node the WebGPU EP does not run is listed,
// and only int64 shape arithmetic may be on the CPU EP, plus two exceptions:
// - dropout's draws (models/dropout.ts: the counter-based uniforms and their gaps, int64 and float64
//   on ~q n elements per site, nodes named DropoutDraws_*): float64 has no WebGPU kernels, so ORT
//   keeps them on the CPU, where they are the same computation as on the CPU device; every one of
//   them is there, and no other float64 or float op is;
// - Scan (K optimizer steps per run): no control flow but If has a WebGPU kernel ("webgpu kernel
//   not found in registries for Op type: Scan"). ORT
//   places the Scan body's nodes on their own (on the GPU, as the K = 1 step places them), and the
//   Scan node, on the CPU, hands them its carried state from host memory every iteration:
//   scripts/webgpu-scan-cost.ts measures that round trip. So what runs on webgpu has no Scan: the
//   one-step train graph, its A micro-batches unrolled, and the eval graph of one batch per run.
// Each registered model type is built tiny, with every loss variant the trainer emits.
import { evalGraphFor } from '../../src/engine/eval-sessions.js';
import { buildStepGraph, type StepGraphOptions } from '../../src/engine/step-graph.js';
import { DRAW_NODE_PREFIX } from '../../src/models/dropout.js';
import type { Graph } from '../../src/onnx/graph.js';
import { graphCapsOf } from '../../src/runtime/capabilities.js';
import { supportedModelTypes } from '../../src/models/registry.js';
import type { LossOptions } from '../../src/models/task.js';
import {
  CPU_EP,
  describeNodes,
  offWebgpu,
  nodesByName,
  probePlacement,
  touchesNoFloat,
  WEBGPU_EP,
  type Placement,
} from '../helpers/placement.js';
import { tinyTaskModel } from '../helpers/tiny-task-model.js';
import { describeWebgpu } from '../helpers/webgpu.js';

const STEP: StepGraphOptions = {
  optimizer: { kind: 'adamw', weightDecay: 0.01 },
  maxGradNorm: 1,
  loop: false,
  layout: 'flat',
  graphs: graphCapsOf({ kind: 'webgpu' }),
};
const WEBGPU = graphCapsOf({ kind: 'webgpu' });

const isDraw = (n: { name: string }) => n.name.startsWith(`${DRAW_NODE_PREFIX}_`);

/** The op types of CPU-placed nodes, each once, sorted. */
const opsOf = (nodes: { opType: string }[]) => [...new Set(nodes.map((n) => n.opType))].sort();

/**
 * Fails listing the offenders: every node off the WebGPU EP must be int-only, one of dropout's
 * draws, or of an op in `exceptions`; and every draw ORT lists runs on the CPU EP.
 */
function expectOnlyShapeArithmetic(p: Placement, exceptions: string[] = []): void {
  const off = offWebgpu(p);
  expect(off.filter((n) => n.ep !== CPU_EP)).toEqual([]);
  const floats = off.filter((n) => !touchesNoFloat(n) && !isDraw(n) && !exceptions.includes(n.opType));
  expect(describeNodes(floats)).toEqual([]);
  expect(describeNodes(p.nodes.filter((n) => isDraw(n) && n.ep !== CPU_EP))).toEqual([]);
}

/** The CPU EP's op types outside dropout's draws. */
const nonDrawOps = (p: Placement) => opsOf(offWebgpu(p).filter((n) => !isDraw(n)));

function probe(g: Graph): Placement {
  const p = probePlacement(g);
  expect(p.counts[WEBGPU_EP]).toBeGreaterThan(50);
  return p;
}

// BERT's train step without dropout: shapes (Shape's output lives on the host, so what computes
// on shapes follows it there; Range has no int64 WebGPU kernel), the one-hot's int64 Equal and
// the mask's int64 -> int32 Cast.
const NO_DROPOUT_CPU_OPS = [
  'Cast',
  'Concat',
  'Equal',
  'Gather',
  'Max',
  'Min',
  'Range',
  'ReduceProd',
  'Shape',
  'Slice',
  'Squeeze',
  'Sub',
  'Unsqueeze',
];

// What the CPU EP holds, exactly, per model type, besides dropout's draws: int64 shape arithmetic
// (the Casts there are int64 -> int32 of the attention mask, asserted int-only above); RoBERTa's
// position ids from the mask (int64 Add, CumSum, Mul); ModernBERT's local-attention window (Abs,
// Greater). Dropout adds nothing but its draws: the mask is made on the GPU.
const sorted = (...ops: string[]) => [...new Set(ops)].sort();
const TRAIN_CPU_OPS: Record<string, string[]> = {
  bert: NO_DROPOUT_CPU_OPS,
  roberta: sorted(...NO_DROPOUT_CPU_OPS.filter((o) => o !== 'Range'), 'Add', 'CumSum', 'Mul'),
  'xlm-roberta': sorted(...NO_DROPOUT_CPU_OPS.filter((o) => o !== 'Range'), 'Add', 'CumSum', 'Mul'),
  distilbert: NO_DROPOUT_CPU_OPS,
  modernbert: sorted(...NO_DROPOUT_CPU_OPS, 'Abs', 'Greater'),
};
// The draws' ops: the count (int64 Mul, Div, Add), the counters (Range, Cast), the keyed cubes
// reduced mod p (float64 Add, Mul, Floor, Sub), log and floor of the gaps (Log, Max, Sub), the
// positions (CumSum, Less, Where).
const DRAW_OPS = sorted('Add', 'Cast', 'CumSum', 'Div', 'Floor', 'Less', 'Log', 'Max', 'Mul', 'Range', 'Sub', 'Where');
// The eval and predict graphs (one batch, no dropout): shape arithmetic, the int64 mask's Cast and
// Equal, RoBERTa's position ids from the mask (int64 CumSum), ModernBERT's local-attention window
// (int64 Abs/Greater/Sub on positions); the labels' Unsqueeze for the loss.
const EVAL_CPU_OPS: Record<string, string[]> = {
  bert: sorted('Cast', 'Concat', 'Equal', 'Gather', 'Range', 'Shape', 'Unsqueeze'),
  roberta: sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Shape', 'Unsqueeze'),
  'xlm-roberta': sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Shape', 'Unsqueeze'),
  distilbert: sorted('Cast', 'Concat', 'Equal', 'Gather', 'Range', 'Shape', 'Unsqueeze'),
  modernbert: sorted('Abs', 'Cast', 'Concat', 'Equal', 'Gather', 'Greater', 'Range', 'Shape', 'Sub', 'Unsqueeze'),
};

// Without labels there is no loss: the labels' int64 ops go (the one-hot's Equal, the Unsqueeze
// where the model has no other; the padding_idx test of the word table, which only training
// needs); each model's own mask and position arithmetic stays.
const PREDICT_CPU_OPS: Record<string, string[]> = {
  bert: sorted('Cast', 'Concat', 'Gather', 'Range', 'Shape'),
  roberta: sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Shape'),
  'xlm-roberta': sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Shape'),
  distilbert: sorted('Cast', 'Concat', 'Gather', 'Range', 'Shape'),
  modernbert: EVAL_CPU_OPS.modernbert.filter((op) => op !== 'Equal'),
};

/**
 * A model type with a pinned list holds exactly those ops on the CPU; one without (a family added
 * since) may hold only ops some pinned type holds there, its int-only shape arithmetic (asserted
 * above for every node).
 */
function expectCpuOps(actual: string[], table: Record<string, string[]>, type: string): void {
  if (table[type]) expect(actual).toEqual(table[type]);
  else expect(actual.filter((op) => !Object.values(table).flat().includes(op))).toEqual([]);
}

/** Every node of a graph and its subgraphs of type `op`. */
const nodesOfType = (g: Graph, op: string) => [...nodesByName(g).values()].filter((n) => n.opType === op);

describeWebgpu('WebGPU placement of the train and eval graphs (ORT 1.30, lavapipe)', () => {
  test.each(supportedModelTypes())(
    '%s: the train step (K = 1, dropout, AdamW, clipping) and the eval graph run every float op on the WebGPU EP',
    (type) => {
      const model = tinyTaskModel(type);
      const step = buildStepGraph(model, STEP);
      expect(nodesOfType(step.graph, 'RandomUniformLike')).toEqual([]);
      const train = probe(step.graph);
      expectOnlyShapeArithmetic(train);
      const off = offWebgpu(train);
      // Dropout's draws are there (on the CPU), and nothing else of dropout is.
      expect(opsOf(off.filter(isDraw))).toEqual(DRAW_OPS);
      expectCpuOps(nonDrawOps(train), TRAIN_CPU_OPS, type);

      // The eval graph EvalSessions runs on webgpu: no Scan, every float op on the GPU, with
      // labels (eval) and without (predict).
      for (const labels of [true, false]) {
        const ev = evalGraphFor(model, step.layout, WEBGPU, labels);
        expect(ev.perBatch).toBe(true);
        expect(nodesOfType(ev.graph, 'Scan').map((n) => n.name)).toEqual([]);
        const evp = probe(ev.graph);
        expectOnlyShapeArithmetic(evp);
        expectCpuOps(opsOf(offWebgpu(evp)), labels ? EVAL_CPU_OPS : PREDICT_CPU_OPS, type);
      }
    },
  );

  test('BERT without dropout: the CPU EP holds int64 shape arithmetic only, and no float value crosses to the host', () => {
    const p = probe(buildStepGraph(tinyTaskModel('bert', { dropout: 0 }), STEP).graph);
    expectOnlyShapeArithmetic(p);
    expect(opsOf(offWebgpu(p))).toEqual(NO_DROPOUT_CPU_OPS);
    expect(p.toHost).toEqual([]);
  });

  test.each<[string, LossOptions]>([
    [
      'multi-label BCE with pos_weight and smoothing',
      { problemType: 'multi_label_classification', classWeights: [1, 2, 3], labelSmoothing: 0.1 },
    ],
    ['weighted, smoothed cross-entropy', { classWeights: [1, 2, 0.5], labelSmoothing: 0.1 }],
  ])('BERT with %s: every float op on the WebGPU EP', (_, loss) => {
    const p = probe(buildStepGraph(tinyTaskModel('bert', { dropout: 0, loss }), STEP).graph);
    expectOnlyShapeArithmetic(p);
  });

  test('accumulate_grad_batches = 2: the micro-batches unrolled (no Scan), every float op on the WebGPU EP', () => {
    const model = tinyTaskModel('bert', { dropout: 0 });
    const step = buildStepGraph(model, { ...STEP, accumulate: 2 });
    expect(nodesOfType(step.graph, 'Scan').map((n) => n.name)).toEqual([]);
    const p = probe(step.graph);
    expectOnlyShapeArithmetic(p);
    // ORT fuses the micro-batch Gathers of each int64 batch input into one Split (shape side).
    expect(opsOf(offWebgpu(p))).toEqual(sorted(...NO_DROPOUT_CPU_OPS, 'Split'));
    expect(p.toHost).toEqual([]);
    // With dropout: each micro-batch draws its own masks (its own draw index, step x 2 + a), the
    // draws stay the only float64 ops, on the CPU.
    const dropped = buildStepGraph(tinyTaskModel('bert'), { ...STEP, accumulate: 2 });
    const single = buildStepGraph(tinyTaskModel('bert'), STEP);
    const pd = probe(dropped.graph);
    expectOnlyShapeArithmetic(pd);
    const counters = (g: Graph) => nodesOfType(g, 'Range').filter(isDraw).length;
    expect(counters(dropped.graph)).toBe(2 * counters(single.graph));
    // plus the micro-batches' draw indices, step_index x 2 + a (int64 Mul, Add)
    expect(nonDrawOps(pd)).toEqual(sorted(...TRAIN_CPU_OPS.bert, 'Split', 'Add', 'Mul'));
  });

  test.each([1, 2])(
    '--precision 16-mixed, accumulate %i: the loss scaling (Reciprocal, Less, And, Not, Where, Concat) runs on the WebGPU EP, the CPU EP holds shape arithmetic only',
    (A) => {
      const step = buildStepGraph(tinyTaskModel('bert', { dropout: 0 }), {
        ...STEP,
        accumulate: A,
        precision: { compute: 'float16' },
      });
      const scaling = ['Reciprocal', 'Less', 'And', 'Not', 'Where'];
      for (const op of scaling) expect(nodesOfType(step.graph, op).length).toBeGreaterThan(0);
      const p = probe(step.graph);
      expectOnlyShapeArithmetic(p);
      // Exactly the float32 step's set: no scaling op (bool And/Not pass touchesNoFloat) is on the CPU.
      expect(opsOf(offWebgpu(p))).toEqual(A === 1 ? NO_DROPOUT_CPU_OPS : sorted(...NO_DROPOUT_CPU_OPS, 'Split'));
      expect(p.toHost).toEqual([]);
    },
  );

  test('K steps per run: the Scan runs on the CPU EP (no WebGPU kernel), its body as K = 1 places it', () => {
    const model = tinyTaskModel('bert');
    const single = offWebgpu(probe(buildStepGraph(model, STEP).graph));
    const scan = probe(buildStepGraph(model, { ...STEP, loop: true }).graph);
    expectOnlyShapeArithmetic(scan, ['Scan']);
    const off = offWebgpu(scan);
    expect(off.filter((n) => n.opType === 'Scan').map((n) => n.graph)).toEqual(['train_steps']);
    // The body's CPU nodes are the single step's (less the K = 1 graph's squeezes of its inputs).
    expect(opsOf(off.filter((n) => n.graph === 'step_body'))).toEqual(
      opsOf(single).filter((o) => o !== 'Squeeze' || off.some((n) => n.graph === 'step_body' && n.opType === o)),
    );
  });
});
