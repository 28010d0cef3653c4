// The legalize pass: models, autodiff and the optimizer emit plain ONNX; this pass rewrites a
// finished (or half-built) graph into the forms a target's execution provider has kernels for.
// 'any' (ONNX Runtime's CPU and CUDA providers: every op we emit) changes nothing. 'webgpu': the
// WebGPU provider has no kernel for the ops below, and ORT would run each on the CPU provider,
// copying its float inputs to the host and back, so the pass swaps in forms it has:
// - Sum -> a chain of Adds, left to right;
// - Cast from int64 to float32/float16 -> through int32 (WebGPU's Cast takes no int64 input: the
//   narrowing stays with the CPU's int64 shape arithmetic, int32 -> float runs on the GPU; the
//   values cast are token counts, masks and positions, far below 2^31);
// - Cast from bool to float32/float16 -> Where(b, 1, 0) (the bool comes from int64 comparisons on the
//   CPU, the floats are made on the GPU);
// - LogSoftmax -> x - m - log(sum(exp(x - m))) with the row max m detached (the value does not
//   depend on m, so neither does the gradient);
// - SoftmaxCrossEntropyLoss (mean, no weights: the plain classification loss) -> the mean over rows
//   of -sum(one_hot(labels) * log_softmax(logits)), whose gradient autodiff then derives;
// - Size -> ReduceProd(Shape) (Size on the CPU would pull the whole tensor to the host);
// - ConstantOfShape of a float type and a run-time shape -> Expand of the scalar (a CPU-made
//   tensor would be uploaded; a constant shape is folded by ORT anyway and stays as it is).
// The step graph runs the pass on the forward pass before autodiff (so the gradients are those of
// the legalized forms: SoftmaxCrossEntropyLoss's hand-written gradient never meets webgpu) and on
// the whole graph after the optimizer (autodiff's and the clipping's Sums, the gradients' int64
// casts); the eval graph once at the end. Rewritten nodes keep their output values (Graph.rewrite),
// so references held by the builders stay valid. Subgraphs (Scan bodies) are legalized too.
import { isFloat, ONNX_DTYPE, type DType } from './dtype.js';
import { Graph, GraphBuildError, stopGradient, type Node, type Value } from './graph.js';

/** The rules a graph is legalized for: 'any' (CPU, CUDA: none), 'webgpu' (see the top). */
export type LegalizeTarget = 'any' | 'webgpu';

type Rule = (g: Graph, n: Node) => (() => Value[]) | undefined;

const DTYPE_OF_CODE = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([d, c]) => [c, d as DType])) as Record<
  number,
  DType
>;

const WEBGPU_RULES: Record<string, Rule> = {
  Sum: (g, n) => () => {
    const vs = n.inputs as Value[];
    return [vs.slice(1).reduce((acc, v) => g.op('Add', [acc, v]), vs[0])];
  },
  Cast: (g, n) => {
    const x = n.inputs[0]!;
    const to = DTYPE_OF_CODE[Number(n.attrs.to)];
    // float64 has no WebGPU kernels at all: such a Cast stays with the CPU provider, as it is.
    if (to !== 'float32' && to !== 'float16') return undefined;
    if (x.dtype === 'int64')
      return () => [g.op('Cast', [g.op('Cast', [x], { to: ONNX_DTYPE.int32 })], { to: ONNX_DTYPE[to] })];
    if (x.dtype === 'bool') return () => [g.op('Where', [x, g.scalar(1, to), g.scalar(0, to)])];
    return undefined;
  },
  LogSoftmax: (g, n) => () => [logSoftmax(g, n.inputs[0]!, Number(n.attrs.axis ?? -1))],
  SoftmaxCrossEntropyLoss: (g, n) => {
    const [logits, labels, weights] = n.inputs;
    if (weights || n.attrs.ignore_index !== undefined || (n.attrs.reduction ?? 'mean') !== 'mean' || logits!.rank !== 2)
      throw new GraphBuildError(
        `legalize (webgpu): SoftmaxCrossEntropyLoss '${n.name}' has weights, ignore_index, a reduction other than mean or logits that are not [N, C]; emit its primitive form instead`,
      );
    return () => {
      const logp = logSoftmax(g, logits!, 1);
      return [crossEntropy(g, logp, labels!), logp].slice(0, n.outputs.length);
    };
  },
  Size: (g, n) => () => [g.op('ReduceProd', [g.op('Shape', [n.inputs[0]!])], { keepdims: 0 })],
  ConstantOfShape: (g, n) => {
    const shape = n.inputs[0]!;
    const value = n.attrs.value as { dtype: DType; data: ArrayLike<number> } | undefined;
    if (!value || !isFloat(value.dtype) || shape.producer?.opType === 'Constant') return undefined;
    return () => [g.op('Expand', [g.scalar(Number(value.data[0]), value.dtype), shape])];
  },
};

const RULES: Record<LegalizeTarget, Record<string, Rule>> = { any: {}, webgpu: WEBGPU_RULES };

/** Rewrites `g` (and its subgraphs) in place for `target`; returns the number of nodes rewritten. */
export function legalize(g: Graph, target: LegalizeTarget): number {
  const rules = RULES[target];
  if (!Object.keys(rules).length) return 0;
  let count = 0;
  for (const n of g.nodes.slice()) {
    for (const a of Object.values(n.attrs)) if (a instanceof Graph) count += legalize(a, target);
    const build = rules[n.opType]?.(g, n);
    if (!build) continue;
    g.rewrite(n, build);
    count++;
  }
  // A rule may have read a shared constant made later in the graph.
  if (count) g.sortNodes();
  return count;
}

/** log softmax along `axis` from ops every provider has, stable: the max subtracted first. */
function logSoftmax(g: Graph, x: Value, axis: number): Value {
  const m = stopGradient(g, g.op('ReduceMax', [x], { axes: [axis], keepdims: 1 }));
  const shifted = g.op('Sub', [x, m]);
  const logSum = g.op('Log', [g.op('ReduceSum', [g.op('Exp', [shifted]), g.ints([axis])], { keepdims: 1 })]);
  return g.op('Sub', [shifted, logSum]);
}

/** mean over rows of -logp[row, label]: one-hot rows (Where of an int64 Equal) times log p. */
function crossEntropy(g: Graph, logp: Value, labels: Value): Value {
  const C = logp.shape[1];
  if (typeof C !== 'number')
    throw new GraphBuildError('legalize (webgpu): cross-entropy needs a static number of labels');
  const classes = g.op('Range', [g.scalar(0, 'int64'), g.scalar(C, 'int64'), g.scalar(1, 'int64')]);
  const ids = labels.dtype === 'int64' ? labels : g.op('Cast', [labels], { to: ONNX_DTYPE.int64 });
  const hit = g.op('Equal', [g.op('Unsqueeze', [ids, g.ints([1])]), classes]);
  const onehot = g.op('Where', [hit, g.scalar(1, logp), g.scalar(0, logp)]);
  const perRow = g.op('ReduceSum', [g.op('Mul', [onehot, logp]), g.ints([1])], { keepdims: 0 });
  return g.op('Neg', [g.op('ReduceMean', [perRow], { keepdims: 0 })]);
}
