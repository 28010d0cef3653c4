// Dropout masks that are a function of (seed, site, draw) alone, so the same seed gives the same
// masks on every device, for any number of steps per run, any accumulation and after a resume.
//
// The mask: each element independently kept (scaled by 1/(1-ratio)) or dropped, Bernoulli(ratio).
// Only the rarer outcome is drawn, as the gaps between its positions (geometric: gap = 1 +
// floor(log(1-u) / log(1-q)), q = min(ratio, 1-ratio)), ~q n uniforms for n elements; a CumSum
// turns the gaps into positions and one ScatterND writes the rare value there into a mask of the
// common one (0 or 1/(1-ratio)), so dropout is one Mul forward and one backward (the float mask is
// what the gradient keeps). Enough gaps are drawn to cover the tensor with overwhelming
// probability: n q plus 8 standard deviations, plus 16, bounded in int64 arithmetic (drawCount).
//
// The uniforms come from a counter-based generator, not from ORT's RandomUniformLike: that op
// keeps a hidden stream per node and session, so its masks depend on how many numbers earlier runs
// drew, on the node layout (a Scan over micro-batches vs unrolled copies) and on the device (CUDA's
// kernel is another generator; WebGPU has none). Here u_i = H_k(i) / p for the draw's counter i,
// where H_k is three rounds of x -> (x + k_r)^3 mod p (a MiMC-style keyed permutation of Z_p, p a
// prime = 2 mod 3 so that cubing permutes) keyed by the site's seed and the draw index d (the
// step's global index x accumulate + the micro-batch's), all in float64 integer arithmetic that is
// exact (every product < 2^53) and so bit-identical on any IEEE-754 device. float64 and int64 have
// no WebGPU kernels: on webgpu the draws stay on the CPU provider (ORT places them there), and only
// the positions and the in-range flags go to the GPU, where the mask is made.
import { ONNX_DTYPE, typedArrayOf } from '../onnx/dtype.js';
import { GraphBuildError, type Dim, type Graph, type Value } from '../onnx/graph.js';

/** The field's prime: p = 2 mod 3 (cubing permutes Z_p) and 4p^2 < 2^53 (squares of sums stay exact). */
export const DRAW_PRIME = 47453111;
const ROUNDS = 3;

/** Names of the draw nodes (int64 and float64, host-side on webgpu): the placement test reads them. */
export const DRAW_NODE_PREFIX = 'DropoutDraws';

/** The site's constants: round keys k_r = (d M_r + C_r) mod p, and the multiplier of the counter's high part. */
export interface DropoutStream {
  /** Model seed and the site's index in emission order. */
  seed: number;
  site: number;
}

/**
 * Dropout of `x` (training): the mask of draw `draw` (int64 scalar: the forward pass's global draw
 * index) at dropout site `stream`.
 */
export function sparseDropout(g: Graph, x: Value, ratio: number, stream: DropoutStream, draw: Value): Value {
  if (!(ratio > 0 && ratio < 1)) throw new GraphBuildError(`dropout: ratio must be in (0, 1), got ${ratio}`);
  const keep = 1 / (1 - ratio);
  const rareIsDrop = ratio <= 0.5;
  const q = rareIsDrop ? ratio : 1 - ratio;
  const op = (type: string, inputs: Value[], attrs = {}) =>
    g.op(type, inputs, attrs, { name: g.uniqueName(`${DRAW_NODE_PREFIX}_${type}`) });
  const n = g.op('Size', [x]);
  const count = drawCount(g, n, q, op);
  const u = uniforms(g, op('Range', [g.scalar(0, 'int64'), count, g.scalar(1, 'int64')]), stream, draw, op);
  // log(1 - u), u in [0, 1); the Max only guards u = 1 (which the mapping below never makes).
  const d = (v: number) => g.scalar(v, 'float64');
  const logU = op('Log', [op('Max', [op('Sub', [d(1), u]), d(1e-300)])]);
  const gaps = op('Add', [op('Floor', [op('Mul', [logU, d(1 / Math.log(1 - q))])]), d(1)]);
  const positions = op('CumSum', [op('Cast', [gaps], { to: ONNX_DTYPE.int64 }), g.scalar(0, 'int64')]); // 1-based
  const zeroBased = op('Sub', [positions, g.scalar(1, 'int64')]);
  const inside = op('Less', [zeroBased, n]);
  // ScatterND adds (rare - common) at each position; positions past the end add 0 at index 0.
  const index = op('Where', [inside, zeroBased, g.scalar(0, 'int64')]);
  const [common, rare] = rareIsDrop ? [keep, 0] : [0, keep];
  // Mixed precision: the mask is scattered in float32 (ORT's CPU ScatterND cannot add float16) and cast.
  const half = x.dtype === 'float16' || x.dtype === 'bfloat16';
  const mt = half ? 'float32' : x.dtype;
  const delta = g.op('Where', [inside, g.scalar(rare - common, mt), g.scalar(0, mt)]);
  const base = g.op('ConstantOfShape', [g.op('Unsqueeze', [n, g.ints([0])])], {
    value: { dtype: mt, shape: [1], data: typedArrayOf(mt, [common]) },
  });
  const flat = g.op('ScatterND', [base, g.op('Unsqueeze', [index, g.ints([1])]), delta], { reduction: 'add' });
  // Reshaped to Shape(x): the mask has x's shape, which keeps the gradient's broadcast reduction static.
  const shaped = g.op('Reshape', [flat, g.op('Shape', [x])]);
  const mask = half ? g.op('Cast', [shaped], { to: ONNX_DTYPE[x.dtype] }) : shaped;
  (mask.shape as Dim[]).splice(0, mask.rank, ...x.shape);
  return g.op('Mul', [x, mask]);
}

type Op = (type: string, inputs: Value[], attrs?: Record<string, number>) => Value;

/**
 * The gaps to draw for n elements, [count]-shaped int64 scalar from int64 arithmetic: n q plus 8
 * standard deviations, plus 16, bounded without a square root by AM-GM (8 sqrt(v) <= v/64 + 1024
 * for v = n q (1-q)), i.e. n q (1 + (1-q)/64) + 1040, scaled by 2^20 and rounded up.
 */
export function drawCount(g: Graph, n: Value, q: number, op: Op = (t, i, a) => g.op(t, i, a)): Value {
  const SCALE = 2 ** 20;
  const rate = Math.ceil(q * (1 + (1 - q) / 64) * SCALE);
  const i = (v: number) => g.scalar(v, 'int64');
  return op('Add', [op('Div', [op('Mul', [n, i(rate)]), i(SCALE)]), i(1041)]);
}

/**
 * u_i in [0, 1) for the int64 counters `counter` of draw `draw` at `stream`: H_k(i) / p (see the
 * top). Values stay integers in [-1, p] between rounds: red(v) = v - floor(v / p) p is exact for
 * v < 2^53 and off by one p only when v is within rounding of a multiple of p.
 */
export function uniforms(g: Graph, counter: Value, stream: DropoutStream, draw: Value, op: Op): Value {
  const P = DRAW_PRIME;
  const d = (v: number) => g.scalar(v, 'float64');
  const red = (v: Value) => op('Sub', [v, op('Mul', [op('Floor', [op('Mul', [v, d(1 / P)])]), d(P)])]);
  const { keys, high } = streamConstants(stream);
  // The draw index mod p (once per forward pass), then each round's key (scalars: once per site and step).
  let dr = reducedDraws.get(draw);
  if (!dr) reducedDraws.set(draw, (dr = red(op('Cast', [draw], { to: ONNX_DTYPE.float64 }))));
  const k = keys.map(([M, C]) => red(op('Add', [op('Mul', [dr, d(M)]), d(C)])));
  // Counters past p (a site of more than ~p / q elements) fold their high part into the first key.
  const i = op('Cast', [counter], { to: ONNX_DTYPE.float64 });
  const hi = op('Floor', [op('Mul', [i, d(1 / P)])]);
  let x = red(op('Add', [op('Add', [i, op('Mul', [hi, d(high)])]), k[0]]));
  for (let r = 0; r < ROUNDS; r++) {
    const y = r === 0 ? x : op('Add', [x, k[r]]);
    x = red(op('Mul', [red(op('Mul', [y, y])), y]));
  }
  // x in [-1, p] -> [0, 1)
  return op('Mul', [op('Add', [x, d(1)]), d(1 / (P + 2))]);
}

/** The reduced draw index of each draw value, shared by the sites of a forward pass. */
const reducedDraws = new WeakMap<Value, Value>();

/** Per-site constants in [1, p), from the seed and the site index (a 32-bit integer hash). */
function streamConstants(s: DropoutStream): { keys: [number, number][]; high: number } {
  let h = (Math.imul(s.seed >>> 0, 0x9e3779b1) ^ Math.imul(s.site + 1, 0x85ebca6b)) >>> 0;
  const next = () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = Math.imul(h ^ (h >>> 15), h | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % (DRAW_PRIME - 1)) + 1;
  };
  const keys = Array.from({ length: ROUNDS }, () => [next(), next()] as [number, number]);
  return { keys, high: next() };
}
