// A small MLP classifier implementing TrainableModel, for optimizer and runner tests:
// x [batch, in] -> (Gemm + Tanh) x layers -> Gemm -> logits, mean cross-entropy on int64 labels.
import type { Graph, Value } from '../../src/onnx/graph.js';
import type { BatchInputSpec, ForwardOutputs, ParamSpec, TrainableModel } from '../../src/engine/contract.js';
import type { MicroBatch } from '../../src/engine/feeds.js';
import { mulberry32 } from '../../src/util/random.js';
import { numElements } from '../../src/util/shape.js';
import { randn } from './gradcheck.js';

export class Mlp implements TrainableModel {
  readonly params: ParamSpec[] = [];
  readonly batchInputs: BatchInputSpec[];

  /** sizes: [in, hidden..., classes]; weights in torch Linear layout [out, in]. */
  constructor(readonly sizes: number[]) {
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.params.push({ name: `fc${l}.weight`, shape: [sizes[l + 1], sizes[l]], decay: true });
      this.params.push({ name: `fc${l}.bias`, shape: [sizes[l + 1]], decay: false });
    }
    this.batchInputs = [
      { name: 'x', dtype: 'float32', shape: ['batch', sizes[0]] },
      { name: 'labels', dtype: 'int64', shape: ['batch'] },
    ];
  }

  forward(
    g: Graph,
    params: Map<string, Value>,
    batch: Record<string, Value>,
    _opts: { train: boolean },
  ): ForwardOutputs {
    let h = batch.x;
    const layers = this.sizes.length - 1;
    for (let l = 0; l < layers; l++) {
      h = g.op('Gemm', [h, params.get(`fc${l}.weight`)!, params.get(`fc${l}.bias`)!], { transB: 1 });
      if (l + 1 < layers) h = g.op('Tanh', [h]);
    }
    const loss = batch.labels
      ? g.node('SoftmaxCrossEntropyLoss', [h, batch.labels], { reduction: 'mean' })[0]
      : undefined;
    return { logits: h, loss };
  }

  /** Deterministic init, scaled like torch's default (uniform-ish, 1/sqrt(fan_in)). */
  init(seed = 1): Map<string, Float32Array> {
    const r = mulberry32(seed);
    return new Map(
      this.params.map((p) => {
        const n = numElements(p.shape);
        const scale = 1 / Math.sqrt(p.shape[p.shape.length - 1]);
        return [p.name, Float32Array.from(randn(n, r), (v) => v * scale)];
      }),
    );
  }
}

/** A micro-batch for the MLP from rows of features and integer labels. */
export function mlpBatch(xs: number[][], labels: number[]): MicroBatch {
  return {
    x: { data: Float32Array.from(xs.flat()), dims: [xs.length, xs[0].length] },
    labels: { data: BigInt64Array.from(labels.map(BigInt)), dims: [labels.length] },
  };
}

/** Two interleaved spirals (a classic non-linearly separable toy set), `n` points per class. */
export function twoSpirals(n: number, seed = 7): { xs: number[][]; labels: number[] } {
  const r = mulberry32(seed);
  const xs: number[][] = [],
    labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = 0.5 + (3 * Math.PI * i) / n;
    for (const c of [0, 1]) {
      const s = c === 0 ? 1 : -1;
      xs.push([(s * t * Math.cos(t)) / 5 + (r() - 0.5) * 0.02, (s * t * Math.sin(t)) / 5 + (r() - 0.5) * 0.02]);
      labels.push(c);
    }
  }
  return { xs, labels };
}

/** Random feature rows and labels for equivalence tests. */
export function randomBatch(batch: number, inDim: number, classes: number, seed: number): MicroBatch {
  const r = mulberry32(seed);
  const xs = Array.from({ length: batch }, () => randn(inDim, r));
  const labels = Array.from({ length: batch }, () => Math.floor(r() * classes));
  return mlpBatch(xs, labels);
}
