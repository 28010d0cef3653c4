// The static CUDA placement guard: every node of the train and eval graphs (Loop bodies included)
// of each model type must have a CUDA kernel in ORT's registrations at our opset, except int64/bool
// shape arithmetic and ONNX function ops ORT expands. Models are a list so every registered model
// type can be fed here.
import { buildEvalGraph } from '../../src/engine/eval-graph.js';
import { buildStepGraph, type MixedPrecision } from '../../src/engine/step-graph.js';
import type { TrainableModel } from '../../src/engine/contract.js';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { BertModel } from '../../src/models/bert/index.js';
import { MODEL_FAMILIES, supportedModelTypes } from '../../src/models/registry.js';
import { TaskModel } from '../../src/models/task.js';
import { tinyEncoderConfig } from '../helpers/encoder-models.js';
import { Graph } from '../../src/onnx/graph.js';
import { OPSET } from '../../src/onnx/serialize.js';
import {
  checkCudaPlacement,
  cudaKernelFor,
  float16CudaKernel,
  schemaVersion,
} from '../../src/runtime/cuda-kernel-check.js';
import { CUDA_KERNEL_SOURCE, CUDA_KERNELS } from '../../src/runtime/cuda-kernels.js';

const bertCfg = parseBertConfig({
  model_type: 'bert',
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  vocab_size: 50,
  max_position_embeddings: 32,
  type_vocab_size: 2,
});

/** A tiny config.json of every registered model type. */
function tinyConfig(type: string): Record<string, unknown> {
  return tinyEncoderConfig(type, 50, 1, 32);
}

/**
 * Every model type of the registry, as training builds it (the family's classifier inside the task
 * wrapper that owns the loss), plus BERT with the other losses (weighted, smoothed, multi-label BCE).
 */
const MODELS: { type: string; model: TrainableModel; plainCrossEntropy?: boolean }[] = [
  ...MODEL_FAMILIES.flatMap((family) =>
    family.modelTypes.map((type) => ({
      type,
      model: new TaskModel(
        family.create(family.parseConfig(tinyConfig(type), `${type} config.json`), 3, { dropout: 0.1, seed: 1 }),
      ),
      plainCrossEntropy: true,
    })),
  ),
  {
    type: 'bert (weighted, smoothed cross-entropy)',
    model: new TaskModel(new BertModel(bertCfg, 3, { dropout: 0.1, seed: 1 }), {
      classWeights: [1, 2, 3],
      labelSmoothing: 0.1,
    }),
  },
  {
    type: 'bert (multi-label BCE)',
    model: new TaskModel(new BertModel(bertCfg, 3, { dropout: 0.1, seed: 1 }), {
      problemType: 'multi_label_classification',
      classWeights: [1, 2, 3],
    }),
  },
];

test('the placement walk covers every registered model type', () => {
  expect(MODELS.map((m) => m.type)).toEqual(expect.arrayContaining(supportedModelTypes()));
  expect(supportedModelTypes()).toEqual(
    expect.arrayContaining(['bert', 'roberta', 'xlm-roberta', 'distilbert', 'modernbert']),
  );
});

/**
 * The graphs a run on a CUDA GPU builds for a model (the flat state layout GPUs train with): K
 * steps with accumulation and clipping, one plain step, eval, predict.
 */
function graphsOf(model: TrainableModel, precision?: MixedPrecision): { name: string; graph: Graph }[] {
  const optimizer = { kind: 'adamw' as const, eps: 1e-8, weightDecay: 0.01 };
  const steps = buildStepGraph(model, {
    optimizer,
    maxGradNorm: 1,
    accumulate: 2,
    loop: true,
    layout: 'flat',
    precision,
  });
  return [
    { name: 'train_steps', graph: steps.graph },
    {
      name: 'train_step',
      graph: buildStepGraph(model, { optimizer, maxGradNorm: 1, loop: false, layout: 'flat', precision }).graph,
    },
    { name: 'eval', graph: buildEvalGraph(model, steps.layout, { labels: true }).graph },
    { name: 'predict', graph: buildEvalGraph(model, steps.layout, { labels: false }).graph },
  ];
}

describe('CUDA kernel placement', () => {
  test.each(MODELS)(
    'every float op of $type train and eval graphs has a CUDA kernel at opset 17',
    ({ model, plainCrossEntropy }) => {
      expect(OPSET).toBe(17);
      const r = checkCudaPlacement(graphsOf(model), { opset: OPSET });
      expect(r.missing).toEqual([]);
      // The walk went into the Loop body and saw the whole model (not a trivially empty graph).
      expect(r.nodes).toBeGreaterThan(1000);
      for (const n of r.cpuShapeOps) expect(['int64', 'int32', 'bool', 'none']).toContain(n.dtype);
      // ORT's inference builds have no CUDA SoftmaxCrossEntropyLoss: its ONNX function body runs
      // instead, here inside the accumulation Loop inside the steps Loop, and in eval. The weighted,
      // smoothed and BCE losses are built from plain ops.
      if (!plainCrossEntropy) {
        expect(r.expanded).toEqual([]);
        return;
      }
      expect([...new Set(r.expanded.map((n) => n.op))]).toEqual(['SoftmaxCrossEntropyLoss']);
      expect(r.expanded.map((n) => n.graph)).toEqual(
        expect.arrayContaining(['train_steps/step_body/step_body_micro', 'train_step', 'eval/eval_body']),
      );
    },
  );

  test.each(MODELS)('CUDA kernel types for mixed precision: $type graphs as float16', ({ model }) => {
    const r = checkCudaPlacement(graphsOf(model), { opset: OPSET, as: 'float16' });
    expect(r.missing).toEqual([]);
    // What the table cannot confirm (untyped registrations): listed, so the mixed-precision work knows.
    expect([...new Set(r.untyped.map((n) => n.op))].sort()).toEqual(
      expect.arrayContaining(['Gather', 'Reshape', 'Scan', 'ScatterND']),
    );
  });

  test.each(MODELS.flatMap((m) => (['float16', 'bfloat16'] as const).map((compute) => ({ ...m, compute }))))(
    'the real mixed-precision train graphs of $type ($compute): a CUDA kernel for every float node',
    ({ model, compute }) => {
      const graphs = graphsOf(model, { compute }).filter((g) => g.name.startsWith('train'));
      const r = checkCudaPlacement(graphs, { opset: OPSET });
      expect(r.missing).toEqual([]);
      expect(r.nodes).toBeGreaterThan(1000);
      for (const n of r.cpuShapeOps) expect(['int64', 'int32', 'bool', 'none']).toContain(n.dtype);
      // The graphs are in the compute type where it matters (not float32 checked under another name).
      const walk = (g: Graph): Graph['nodes'] =>
        g.nodes.flatMap((n) => [n, ...Object.values(n.attrs).flatMap((a) => (a instanceof Graph ? walk(a) : []))]);
      const typed = (op: string) =>
        new Set(
          walk(graphs[0].graph)
            .filter((n) => n.opType === op)
            .map((n) => n.inputs[0]!.dtype),
        );
      expect(typed('Gemm')).toEqual(new Set([compute]));
      expect(typed('LayerNormalization')).toEqual(new Set(['float32']));
      expect(typed('Softmax')).toEqual(new Set(['float32']));
      // The ops the loss scaler adds (Less/Where/Reciprocal over float32) are typed CUDA kernels.
      expect(float16CudaKernel('Where', OPSET)).toBe('yes');
      for (const op of ['Less', 'Where', 'Reciprocal', 'And', 'Not'])
        expect(walk(graphs[0].graph).some((n) => n.opType === op)).toBe(true);
    },
  );

  test('CUDA kernel matching follows ORT: schema version at the opset, exact or a closed range, the type', () => {
    expect(CUDA_KERNEL_SOURCE).toMatch(/^microsoft\/onnxruntime main@[0-9a-f]{40}/);
    expect(CUDA_KERNELS.length).toBeGreaterThan(300);
    expect(schemaVersion('Loop', 17)).toBe(16);
    expect(schemaVersion('ReduceSum', 17)).toBe(13);
    expect(cudaKernelFor('Loop', 17).kernel?.slice(2, 4)).toEqual([13, 18]);
    expect(cudaKernelFor('LayerNormalization', 17, 'float32').kernel).toBeDefined();
    // contrib ops: versioned by the com.microsoft import (1), looked up in the contrib registrations
    expect(cudaKernelFor('Gelu', 17, 'float32', 'com.microsoft').kernel?.slice(0, 3)).toEqual([
      'Gelu',
      'com.microsoft',
      1,
    ]);
    expect(cudaKernelFor('Gelu', 17, 'float16', 'com.microsoft').kernel).toBeDefined();
    expect(cudaKernelFor('Gelu', 17, 'float32').kernel).toBeUndefined(); // ai.onnx Gelu is opset 20
    expect(cudaKernelFor('LayerNormalization', 16).since).toBeUndefined(); // not an op before 17
    // An open-ended registration matches only its own version (VerifyVersion): Add 14+ serves 14, not 13.
    expect(cudaKernelFor('Add', 13, 'int16').wrongType?.map((k) => k[2])).toEqual([13]);
    expect(cudaKernelFor('Add', 14, 'int16').kernel).toBeDefined();
    // Equal is registered open-ended from 13; Equal-19 is a new schema that registration does not serve.
    expect(cudaKernelFor('Equal', 18, 'float32').kernel?.slice(2, 4)).toEqual([13, null]);
    expect(cudaKernelFor('Equal', 19, 'float32')).toEqual({ since: 19 });
    expect(float16CudaKernel('MatMul', 17)).toBe('yes');
    expect(float16CudaKernel('Erf', 17)).toBe('yes');
    expect(float16CudaKernel('Reshape', 17)).toBe('untyped');
    expect(float16CudaKernel('Det', 17)).toBe('no');
  });

  test('the walk reports a float op without a CUDA kernel, expands function ops, lets int64 shape arithmetic pass', () => {
    const g = new Graph('g');
    const x = g.input('x', 'float64', [3, 3]);
    g.output(g.op('NonZero', [x]), 'nz'); // CUDA NonZero has no float64 kernel
    const shape = g.op('Shape', [x]);
    g.output(g.op('ReduceProd', [shape], { keepdims: 0 }), 'n'); // int64 ReduceProd: CPU, by design
    g.output(g.op('CastLike', [shape, x]), 'like'); // a function op: ORT expands it
    const r = checkCudaPlacement([{ name: 'g', graph: g }], { opset: 17 });
    expect(r.missing).toEqual([
      {
        graph: 'g',
        node: 'NonZero',
        op: 'NonZero',
        dtype: 'float64',
        why: 'NonZero-13 has CUDA kernels for bool,float16,float32,int32,int64,uint8, not float64',
      },
    ]);
    expect(r.cpuShapeOps.map((c) => [c.op, c.dtype])).toEqual([['ReduceProd', 'int64']]);
    expect(r.expanded.map((c) => c.op)).toEqual(['CastLike']);
  });
});
