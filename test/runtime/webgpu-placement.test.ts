// Where ONNX Runtime 1.30 places the train and eval graphs built for webgpu (Mesa's lavapipe
// here): every node the WebGPU EP does not run is listed, and only int64 shape arithmetic may be
// on the CPU EP, plus two exceptions the WebGPU EP has no kernel for at all:
// - RandomUniformLike (dropout's draws, ~q n floats per site): the WebGPU kernel table registers
//   no random op (ORT 1.30's log: "webgpu kernel not found in registries for Op type:
//   RandomUniformLike");
// - Scan (K optimizer steps per run, E eval batches per run): nor any control flow but If
//   ("... Op type: Scan"). ORT places the Scan body's nodes on their own (on the GPU, as the
//   K = 1 step places them), and the Scan node, on the CPU, hands them its carried state from
//   host memory every iteration: scripts/webgpu-scan-cost.ts measures that round trip.
// Each registered model type is built tiny, with every loss variant the trainer emits.
import { buildEvalGraph } from '../../src/engine/eval-graph.js';
import { buildStepGraph, type StepGraphOptions } from '../../src/engine/step-graph.js';
import type { Graph } from '../../src/onnx/graph.js';
import { supportedModelTypes } from '../../src/models/registry.js';
import type { LossOptions } from '../../src/models/task.js';
import {
  CPU_EP,
  describeNodes,
  offWebgpu,
  probePlacement,
  touchesNoFloat,
  WEBGPU_EP,
  type Placement,
} from '../helpers/placement.js';
import { tinyTaskModel } from '../helpers/tiny-task-model.js';

const STEP: StepGraphOptions = {
  optimizer: { kind: 'adamw', weightDecay: 0.01 },
  maxGradNorm: 1,
  loop: false,
  layout: 'flat',
  target: 'webgpu',
};

/** The op types of CPU-placed nodes, each once, sorted. */
const opsOf = (nodes: { opType: string }[]) => [...new Set(nodes.map((n) => n.opType))].sort();

/** Fails listing the offenders: every node off the WebGPU EP must be int-only or one of `exceptions`. */
function expectOnlyShapeArithmetic(p: Placement, exceptions: string[] = []): void {
  const off = offWebgpu(p);
  expect(off.filter((n) => n.ep !== CPU_EP)).toEqual([]);
  const floats = off.filter((n) => !touchesNoFloat(n) && !exceptions.includes(n.opType));
  expect(describeNodes(floats)).toEqual([]);
}

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

// What the CPU EP holds, exactly, per model type: int64 shape arithmetic (the Casts there are
// int64 -> int32 of the attention mask, asserted int-only above), dropout's int64 draw positions
// (ConstantOfShape, CumSum, Less, Where), and the two exceptions.
const COMMON_TRAIN = [
  'Add',
  'Cast',
  'Concat',
  'ConstantOfShape',
  'CumSum',
  'Div',
  'Equal',
  'Gather',
  'Less',
  'Max',
  'Min',
  'Mul',
  'RandomUniformLike',
  'ReduceProd',
  'Shape',
  'Slice',
  'Squeeze',
  'Sub',
  'Unsqueeze',
  'Where',
];
const sorted = (...ops: string[]) => [...new Set(ops)].sort();
const TRAIN_CPU_OPS: Record<string, string[]> = {
  bert: sorted(...COMMON_TRAIN, 'Range'),
  roberta: sorted(...COMMON_TRAIN),
  'xlm-roberta': sorted(...COMMON_TRAIN),
  distilbert: sorted(...COMMON_TRAIN, 'Range'),
  modernbert: sorted(...COMMON_TRAIN, 'Range', 'Abs', 'Greater'),
};
const EVAL_CPU_OPS: Record<string, string[]> = {
  bert: sorted('Cast', 'Concat', 'Equal', 'Gather', 'Range', 'Scan', 'Shape', 'Slice', 'Unsqueeze'),
  roberta: sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Scan', 'Shape', 'Slice', 'Unsqueeze'),
  'xlm-roberta': sorted('Add', 'Cast', 'Concat', 'CumSum', 'Equal', 'Mul', 'Scan', 'Shape', 'Slice', 'Unsqueeze'),
  distilbert: sorted('Cast', 'Concat', 'Equal', 'Gather', 'Range', 'Scan', 'Shape', 'Slice', 'Unsqueeze'),
  modernbert: sorted(
    'Abs',
    'Cast',
    'Concat',
    'Equal',
    'Gather',
    'Greater',
    'Range',
    'Scan',
    'Shape',
    'Slice',
    'Sub',
    'Unsqueeze',
  ),
};

describe('WebGPU placement of the train and eval graphs (ORT 1.30, lavapipe)', () => {
  test.each(supportedModelTypes())(
    '%s: the train step (K = 1, dropout, AdamW, clipping) and the eval graph run every float op on the WebGPU EP',
    (type) => {
      const model = tinyTaskModel(type);
      const step = buildStepGraph(model, STEP);
      const train = probe(step.graph);
      expectOnlyShapeArithmetic(train, ['RandomUniformLike']);
      const off = offWebgpu(train);
      // One RandomUniformLike per dropout site, nothing else random and nothing else float.
      expect(off.filter((n) => n.opType === 'RandomUniformLike').length).toBe(
        step.graph.nodes.filter((n) => n.opType === 'RandomUniformLike').length,
      );
      expect(opsOf(off)).toEqual(TRAIN_CPU_OPS[type]);

      const ev = buildEvalGraph(model, step.layout, { labels: true, target: 'webgpu' });
      const evp = probe(ev.graph);
      expectOnlyShapeArithmetic(evp, ['Scan']);
      expect(
        offWebgpu(evp)
          .filter((n) => n.opType === 'Scan')
          .map((n) => n.graph),
      ).toEqual(['eval']);
      expect(opsOf(offWebgpu(evp))).toEqual(EVAL_CPU_OPS[type]);
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

  test('K steps per run: the Scan runs on the CPU EP (no WebGPU kernel), its body as K = 1 places it', () => {
    const model = tinyTaskModel('bert');
    const single = offWebgpu(probe(buildStepGraph(model, STEP).graph));
    const scan = probe(buildStepGraph(model, { ...STEP, loop: true }).graph);
    expectOnlyShapeArithmetic(scan, ['RandomUniformLike', 'Scan']);
    const off = offWebgpu(scan);
    expect(off.filter((n) => n.opType === 'Scan').map((n) => n.graph)).toEqual(['train_steps']);
    // The body's CPU nodes are the single step's (less the K = 1 graph's squeezes of its inputs).
    expect(opsOf(off.filter((n) => n.graph === 'step_body'))).toEqual(
      opsOf(single).filter((o) => o !== 'Squeeze' || off.some((n) => n.graph === 'step_body' && n.opType === o)),
    );
  });
});
