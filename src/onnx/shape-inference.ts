// Build-time output dtype/shape for every op the engine emits. Shapes may be symbolic;
// anything knowable is checked here so a bad graph fails with the node's name, not inside ORT.
import {
  GraphBuildError,
  isUnknown,
  unknownDim,
  type Dim,
  type GraphView,
  type NodeView as Node,
  type Shape,
  type TensorData,
  type ValueView as Value,
} from './ir.js';
import type { DType } from './dtype.js';
import { numElements } from '../util/shape.js';

export interface OutInfo {
  dtype: DType;
  shape: Shape;
}
/** `expected`: the output count the caller asked for (g.node's `outputs` option), if any. */
type Infer = (n: Node, ins: readonly (Value | null)[], expected?: number) => OutInfo[];

const fail = (n: Node, msg: string): never => {
  throw new GraphBuildError(`node '${n.name}' (${n.opType}): ${msg}`);
};

function need(n: Node, ins: readonly (Value | null)[], i: number, what = `input ${i}`): Value {
  const v = ins[i];
  if (!v) fail(n, `${what} is missing`);
  return v!;
}

const intAttr = (n: Node, k: string, d: number): number =>
  n.attrs[k] === undefined ? d : Number(n.attrs[k] as number);
const normAxis = (n: Node, axis: number, rank: number, of?: Value): number => {
  const a = axis < 0 ? axis + rank : axis;
  const what = of ? ` of input '${of.name}' [${of.shape}]` : '';
  if (a < 0 || a >= rank) fail(n, `axis ${axis} is out of range for rank ${rank}${what} (use -${rank}..${rank - 1})`);
  return a;
};

export function sameDim(a: Dim, b: Dim): boolean {
  return a === b && !isUnknown(a);
}

/** numpy-style broadcast of two shapes; throws when sizes are known to clash. */
export function broadcastShapes(a: Shape, b: Shape, where = 'broadcast'): Shape {
  const r = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x === y) out.push(x);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') {
      throw new GraphBuildError(`${where}: shapes [${a}] and [${b}] do not broadcast (dimension ${i}: ${x} vs ${y})`);
    } else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : unknownDim());
  }
  return out;
}

const sameAs =
  (i: number): Infer =>
  (n, ins) => {
    const v = need(n, ins, i);
    return [{ dtype: v.dtype, shape: v.shape }];
  };

/** Same dtype/shape as input 0, with the `axis` attribute checked against its rank. */
const axisChecked =
  (dflt: number): Infer =>
  (n, ins) => {
    const x = need(n, ins, 0);
    normAxis(n, intAttr(n, 'axis', dflt), x.rank, x);
    return [{ dtype: x.dtype, shape: x.shape }];
  };

const broadcasting =
  (outType?: DType): Infer =>
  (n, ins) => {
    const vs = ins.map((_, i) => need(n, ins, i));
    const dtype = vs[0].dtype;
    for (const v of vs) {
      if (!outType && v.dtype !== dtype)
        fail(n, `input '${v.name}' is ${v.dtype}, expected ${dtype} like '${vs[0].name}'`);
    }
    let shape = vs[0].shape;
    for (const v of vs.slice(1)) shape = broadcastShapes(shape, v.shape, `node '${n.name}' (${n.opType})`);
    return [{ dtype: outType ?? dtype, shape }];
  };

function constInts(n: Node, v: Value | null, what: string): number[] | undefined {
  if (!v) return undefined;
  if (v.dtype !== 'int64') fail(n, `${what} '${v.name}' must be int64, got ${v.dtype}`);
  return v.constValue;
}

function reduceInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const keep = intAttr(n, 'keepdims', 1) === 1;
  const axesV = ins[1] ?? null;
  // Opset 17: only ReduceSum takes axes as an input; the others move to an input at opset 18.
  if (axesV && n.opType !== 'ReduceSum')
    fail(n, `in opset 17 ${n.opType} takes axes as an attribute ({ axes: [...] }), not as input '${axesV.name}'`);
  let axes = axesV ? constInts(n, axesV, 'axes') : (n.attrs.axes as number[] | undefined);
  if (axesV && !axes) {
    // Runtime axes: rank is still known when keepdims=1.
    if (!keep) fail(n, 'runtime axes need keepdims=1 so the output rank is known');
    return [{ dtype: x.dtype, shape: x.shape.map(() => unknownDim()) }];
  }
  if (!axes || axes.length === 0) {
    if (intAttr(n, 'noop_with_empty_axes', 0) === 1) return [{ dtype: x.dtype, shape: x.shape }];
    axes = x.shape.map((_, i) => i);
  }
  const set = new Set(axes.map((a) => normAxis(n, a, x.rank, x)));
  const shape: Shape = [];
  x.shape.forEach((d, i) => {
    if (!set.has(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return [{ dtype: x.dtype, shape }];
}

function reshapeInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const s = need(n, ins, 1, 'shape');
  const target = constInts(n, s, 'shape');
  if (!target) {
    const r = s.shape[0];
    if (typeof r !== 'number') fail(n, `shape '${s.name}' must have a known length`);
    return [{ dtype: x.dtype, shape: Array.from({ length: r as number }, () => unknownDim()) }];
  }
  const out: Shape = target.map((d, i) => (d === 0 ? x.shape[i] : d === -1 ? unknownDim() : d));
  const minus = target.indexOf(-1);
  if (minus >= 0 && x.shape.every((d) => typeof d === 'number')) {
    const total = numElements(x.shape as number[]);
    const known = out.reduce<number>((a, d, i) => (i === minus ? a : a * (d as number)), 1);
    if (total % known !== 0) fail(n, `cannot reshape [${x.shape}] to [${target}]`);
    out[minus] = total / known;
  } else if (minus >= 0) {
    // Symbolic: [B,T,H] -> [-1,H] keeps the product symbolic; name it after the dims it merges.
    const rest = out.filter((_, i) => i !== minus);
    const inDims = [...x.shape];
    for (const d of rest) {
      const j = inDims.findIndex((e) => e === d);
      if (j >= 0) inDims.splice(j, 1);
    }
    if (inDims.length === 1) out[minus] = inDims[0];
    else if (inDims.every((d) => typeof d !== 'number' || d === 1)) {
      const syms = inDims.filter((d) => d !== 1);
      out[minus] = syms.length === 1 ? syms[0] : syms.length === 0 ? 1 : `(${syms.join('*')})`;
    }
  }
  if (x.shape.every((d) => typeof d === 'number') && out.every((d) => typeof d === 'number')) {
    const a = (x.shape as number[]).reduce((p, q) => p * q, 1);
    const b = (out as number[]).reduce((p, q) => p * q, 1);
    if (a !== b) fail(n, `cannot reshape [${x.shape}] (${a} elements) to [${out}] (${b} elements)`);
  }
  return [{ dtype: x.dtype, shape: out }];
}

function matmulInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const a = need(n, ins, 0);
  const b = need(n, ins, 1);
  if (a.dtype !== b.dtype) fail(n, `inputs are ${a.dtype} and ${b.dtype}`);
  if (a.rank < 1 || b.rank < 1) fail(n, 'MatMul inputs need rank >= 1');
  const as = a.rank === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.rank === 1 ? [b.shape[0], 1] : b.shape;
  const k1 = as[as.length - 1];
  const k2 = bs[bs.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    fail(n, `inner dimensions differ: '${a.name}' [${a.shape}] x '${b.name}' [${b.shape}]`);
  }
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2), `node '${n.name}' (MatMul)`);
  const out: Shape = [...batch];
  if (a.rank !== 1) out.push(as[as.length - 2]);
  if (b.rank !== 1) out.push(bs[bs.length - 1]);
  return [{ dtype: a.dtype, shape: out }];
}

function gemmInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const a = need(n, ins, 0);
  const b = need(n, ins, 1);
  if (a.rank !== 2 || b.rank !== 2) fail(n, `Gemm needs 2-D inputs, got [${a.shape}] and [${b.shape}]`);
  const ta = intAttr(n, 'transA', 0),
    tb = intAttr(n, 'transB', 0);
  const [m, k1] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, nn] = tb ? [b.shape[1], b.shape[0]] : b.shape;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    fail(
      n,
      `inner dimensions differ: '${a.name}' [${a.shape}] x '${b.name}' [${b.shape}] (transA=${ta}, transB=${tb})`,
    );
  }
  const c = ins[2];
  if (c) broadcastShapes([m, nn], c.shape, `node '${n.name}' (Gemm bias)`);
  return [{ dtype: a.dtype, shape: [m, nn] }];
}

function sliceInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const starts = constInts(n, need(n, ins, 1, 'starts'), 'starts');
  const ends = constInts(n, need(n, ins, 2, 'ends'), 'ends');
  const axes = constInts(n, ins[3] ?? null, 'axes') ?? starts?.map((_, i) => i);
  const steps = constInts(n, ins[4] ?? null, 'steps');
  const shape = [...x.shape];
  if (!starts || !ends || !axes) return [{ dtype: x.dtype, shape: shape.map(() => unknownDim()) }];
  axes.forEach((ax, i) => {
    const a = normAxis(n, ax, x.rank, x);
    const st = steps?.[i] ?? 1;
    const d = shape[a];
    let s = starts[i],
      e = ends[i];
    if (typeof d === 'number') {
      const clamp = (v: number) => Math.max(st > 0 ? 0 : -1, Math.min(st > 0 ? d : d - 1, v < 0 ? v + d : v));
      s = clamp(s);
      e = clamp(e);
      shape[a] = Math.max(0, Math.ceil((e - s) / st));
    } else if (st === 1 && s >= 0 && e >= 0 && e < 2 ** 31) {
      shape[a] = e - s; // e.g. [CLS]: [0,1) of a symbolic length (valid when the length >= e)
    } else shape[a] = unknownDim();
  });
  return [{ dtype: x.dtype, shape }];
}

function padInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const padsV = need(n, ins, 1, 'pads');
  const pads = constInts(n, padsV, 'pads');
  const len = padsV.shape[0];
  if (typeof len === 'number' && len !== 2 * x.rank)
    fail(
      n,
      `pads '${padsV.name}' has ${len} values, expected ${2 * x.rank} (begin and end for each axis of '${x.name}')`,
    );
  const shape = x.shape.map((d, i) =>
    pads && typeof d === 'number'
      ? d + pads[i] + pads[i + x.rank]
      : pads && pads[i] === 0 && pads[i + x.rank] === 0
        ? d
        : unknownDim(),
  );
  return [{ dtype: x.dtype, shape }];
}

function transposeInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const perm = (n.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (perm.length !== x.rank) fail(n, `perm [${perm}] has ${perm.length} axes but '${x.name}' has rank ${x.rank}`);
  const seen = new Set(perm);
  if (seen.size !== perm.length || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= x.rank)) {
    fail(n, `perm [${perm}] is not a permutation of 0..${x.rank - 1} (input '${x.name}' [${x.shape}])`);
  }
  return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
}

function unsqueezeInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const axes = constInts(n, need(n, ins, 1, 'axes'), 'axes');
  if (!axes) fail(n, 'axes must be a constant');
  const r = x.rank + axes!.length;
  const set = new Set(axes!.map((a) => normAxis(n, a, r)));
  const out: Shape = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : x.shape[j++]);
  return [{ dtype: x.dtype, shape: out }];
}

function squeezeInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const axes = constInts(n, ins[1] ?? null, 'axes');
  if (ins[1] && !axes) fail(n, 'axes must be a constant');
  const set = new Set((axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(n, a, x.rank, x)));
  for (const a of set) {
    const d = x.shape[a];
    if (typeof d === 'number' && d !== 1) fail(n, `cannot squeeze axis ${a} of size ${d}`);
  }
  return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
}

function gatherInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const idx = need(n, ins, 1, 'indices');
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') fail(n, `indices '${idx.name}' must be int64 or int32`);
  const a = normAxis(n, intAttr(n, 'axis', 0), x.rank, x);
  return [{ dtype: x.dtype, shape: [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)] }];
}

function concatInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const vs = ins.map((_, i) => need(n, ins, i));
  const r = vs[0].rank;
  const a = normAxis(n, intAttr(n, 'axis', 0), r, vs[0]);
  const shape = [...vs[0].shape];
  let total: Dim = 0;
  for (const v of vs) {
    if (v.rank !== r) fail(n, `input '${v.name}' has rank ${v.rank}, expected ${r}`);
    const d = v.shape[a];
    total = typeof total === 'number' && typeof d === 'number' ? total + d : unknownDim();
  }
  shape[a] = total;
  return [{ dtype: vs[0].dtype, shape }];
}

function splitInfer(n: Node, ins: readonly (Value | null)[], expected?: number): OutInfo[] {
  const x = need(n, ins, 0);
  const a = normAxis(n, intAttr(n, 'axis', 0), x.rank, x);
  const sizes = constInts(n, ins[1] ?? null, 'split');
  // Run-time sizes (e.g. a Concat gradient over symbolic dims): the count is the sizes' length.
  const runtimeCount = ins[1] && !sizes && typeof ins[1].shape[0] === 'number' ? (ins[1].shape[0] as number) : 0;
  // Opset 17 has no num_outputs: without sizes, Split cuts equal parts, one per declared output.
  if (n.attrs.num_outputs !== undefined)
    fail(n, 'num_outputs is opset 18; in opset 17 give split sizes (input 1) or { outputs: n }');
  const count = sizes?.length ?? (runtimeCount || expected || 0);
  if (!count) fail(n, `give split sizes (input 1) or the number of outputs ({ outputs: n }) for '${x.name}'`);
  if (!sizes && !runtimeCount && typeof x.shape[a] === 'number' && (x.shape[a] as number) % count !== 0) {
    fail(n, `axis ${a} of '${x.name}' has size ${x.shape[a]}, which does not split into ${count} equal parts`);
  }
  const d = x.shape[a];
  return Array.from({ length: count }, (_, i) => {
    const shape = [...x.shape];
    shape[a] = sizes ? sizes[i] : typeof d === 'number' && !runtimeCount ? d / count : unknownDim();
    return { dtype: x.dtype, shape };
  });
}

function layerNormInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const a = normAxis(n, intAttr(n, 'axis', -1), x.rank, x);
  const statShape = x.shape.map((d, i) => (i < a ? d : 1));
  const scale = need(n, ins, 1, 'scale');
  const norm = x.shape.slice(a);
  if (
    scale.rank !== norm.length ||
    scale.shape.some((d, i) => typeof d === 'number' && typeof norm[i] === 'number' && d !== norm[i])
  ) {
    fail(n, `scale '${scale.name}' [${scale.shape}] does not match the normalised dims [${norm}]`);
  }
  // Mean/InvStdDev have the stash_type (default 1 = float32), even for float64 input.
  const stash = intAttr(n, 'stash_type', 1);
  if (stash !== 1 && stash !== 11)
    fail(n, `stash_type ${stash} is not supported (use 1 for float32 or 11 for float64)`);
  const stat: DType = stash === 11 ? 'float64' : 'float32';
  return [
    { dtype: x.dtype, shape: x.shape },
    { dtype: stat, shape: statShape },
    { dtype: stat, shape: statShape },
  ];
}

const DTYPE_OF_CODE: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};

function castInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const to = n.attrs.to as number;
  const map = DTYPE_OF_CODE;
  if (!map[to]) fail(n, `unsupported Cast target ${to}`);
  return [{ dtype: map[to], shape: x.shape }];
}

function constantInfer(n: Node): OutInfo[] {
  const t = n.attrs.value as TensorData | undefined;
  if (!t) fail(n, 'Constant needs a value attribute');
  return [{ dtype: t!.dtype, shape: t!.shape }];
}

function loopInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const body = n.attrs.body as GraphView;
  const carried = ins.length - 2;
  if (body.inputs.length !== carried + 2)
    fail(n, `body has ${body.inputs.length} inputs, expected ${carried + 2} (iter, cond, ${carried} carried)`);
  if (body.outputs.length < carried + 1)
    fail(n, `body has ${body.outputs.length} outputs, expected at least ${carried + 1}`);
  const trip = ins[0]?.constValue?.[0] ?? unknownDim();
  return body.outputs
    .slice(1)
    .map((o, i) =>
      i < carried
        ? { dtype: o.value.dtype, shape: ins[i + 2]!.shape }
        : { dtype: o.value.dtype, shape: [trip, ...o.value.shape] },
    );
}

/** Scan (opset 16, forward along axis 0): state variables keep their shapes, scan outputs gain the [steps] axis. */
function scanInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const body = n.attrs.body as GraphView;
  const scans = intAttr(n, 'num_scan_inputs', 0);
  const states = ins.length - scans;
  if (scans < 1 || states < 0) fail(n, `num_scan_inputs must be 1..${ins.length}, got ${scans}`);
  if (body.inputs.length !== ins.length)
    fail(n, `body has ${body.inputs.length} inputs, expected ${ins.length} (${states} state, ${scans} scan)`);
  if (body.outputs.length < states) fail(n, `body has ${body.outputs.length} outputs, expected at least ${states}`);
  const first = need(n, ins, states, 'scan input 0');
  const steps = first.shape[0] ?? unknownDim();
  ins.slice(states).forEach((v, i) => {
    if (!v || v.rank < 1) fail(n, `scan input ${i} must have rank >= 1 (axis 0 is scanned)`);
    if (typeof v!.shape[0] === 'number' && typeof steps === 'number' && v!.shape[0] !== steps)
      fail(n, `scan input ${i} '${v!.name}' has ${v!.shape[0]} steps, scan input 0 has ${steps}`);
  });
  return body.outputs.map((o, i) =>
    i < states
      ? { dtype: o.value.dtype, shape: ins[i]!.shape }
      : { dtype: o.value.dtype, shape: [steps, ...o.value.shape] },
  );
}

function sceLossInfer(n: Node, ins: readonly (Value | null)[]): OutInfo[] {
  const x = need(n, ins, 0);
  const y = need(n, ins, 1, 'labels');
  if (y.dtype !== 'int64' && y.dtype !== 'int32') fail(n, `labels '${y.name}' must be int64`);
  const red = (n.attrs.reduction as string | undefined) ?? 'mean';
  return [
    { dtype: x.dtype, shape: red === 'none' ? y.shape : [] },
    { dtype: x.dtype, shape: x.shape },
  ];
}

const INFER: Record<string, Infer> = {
  Constant: (n) => constantInfer(n),
  Identity: sameAs(0),
  Neg: sameAs(0),
  Exp: sameAs(0),
  Log: sameAs(0),
  Floor: sameAs(0),
  CumSum: sameAs(0),
  Sqrt: sameAs(0),
  Erf: sameAs(0),
  Gelu: sameAs(0),
  Tanh: sameAs(0),
  Cos: sameAs(0),
  Sin: sameAs(0),
  Relu: sameAs(0),
  Sigmoid: sameAs(0),
  Abs: sameAs(0),
  Reciprocal: sameAs(0),
  Sign: sameAs(0),
  Softmax: axisChecked(-1),
  LogSoftmax: axisChecked(-1),
  Clip: sameAs(0),
  Add: broadcasting(),
  Sub: broadcasting(),
  Mul: broadcasting(),
  Div: broadcasting(),
  Mod: broadcasting(),
  Pow: (n, ins) => [
    { dtype: need(n, ins, 0).dtype, shape: broadcastShapes(need(n, ins, 0).shape, need(n, ins, 1).shape) },
  ],
  Max: broadcasting(),
  Min: broadcasting(),
  Sum: broadcasting(),
  Equal: broadcasting('bool'),
  Less: broadcasting('bool'),
  Greater: broadcasting('bool'),
  And: broadcasting('bool'),
  Or: broadcasting('bool'),
  Not: sameAs(0),
  Where: (n, ins) => {
    const c = need(n, ins, 0, 'condition');
    if (c.dtype !== 'bool') fail(n, `condition '${c.name}' must be bool`);
    const a = need(n, ins, 1),
      b = need(n, ins, 2);
    if (a.dtype !== b.dtype) fail(n, `branches are ${a.dtype} and ${b.dtype}`);
    return [
      {
        dtype: a.dtype,
        shape: broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape, `node '${n.name}' (Where)`),
      },
    ];
  },
  Cast: castInfer,
  CastLike: (n, ins) => [{ dtype: need(n, ins, 1).dtype, shape: need(n, ins, 0).shape }],
  MatMul: matmulInfer,
  Gemm: gemmInfer,
  Reshape: reshapeInfer,
  Transpose: transposeInfer,
  Unsqueeze: unsqueezeInfer,
  Squeeze: squeezeInfer,
  Flatten: (n, ins) => {
    const x = need(n, ins, 0);
    const raw = intAttr(n, 'axis', 1);
    const a = raw < 0 ? raw + x.rank : raw; // Flatten allows axis == rank
    if (a < 0 || a > x.rank)
      fail(n, `axis ${raw} is out of range for input '${x.name}' of rank ${x.rank} (use -${x.rank}..${x.rank})`);
    const prod = (ds: Shape): Dim =>
      ds.every((d) => typeof d === 'number') ? (ds as number[]).reduce((p, q) => p * q, 1) : unknownDim();
    return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))] }];
  },
  Gather: gatherInfer,
  Pad: padInfer,
  GatherElements: (n, ins) => [{ dtype: need(n, ins, 0).dtype, shape: need(n, ins, 1).shape }],
  ScatterND: sameAs(0),
  ScatterElements: sameAs(0),
  Slice: sliceInfer,
  Concat: concatInfer,
  Split: splitInfer,
  LayerNormalization: layerNormInfer,
  ReduceSum: reduceInfer,
  ReduceMean: reduceInfer,
  ReduceMax: reduceInfer,
  ReduceSumSquare: reduceInfer,
  ReduceL2: reduceInfer,
  ReduceProd: reduceInfer,
  ArgMax: (n, ins) => {
    const x = need(n, ins, 0);
    const a = normAxis(n, intAttr(n, 'axis', 0), x.rank, x);
    const keep = intAttr(n, 'keepdims', 1) === 1;
    return [{ dtype: 'int64', shape: x.shape.flatMap((d, i) => (i === a ? (keep ? [1] : []) : [d])) }];
  },
  Dropout: (n, ins) => {
    const x = need(n, ins, 0);
    return [
      { dtype: x.dtype, shape: x.shape },
      { dtype: 'bool', shape: x.shape },
    ];
  },
  Shape: (n, ins) => [{ dtype: 'int64', shape: [need(n, ins, 0).rank] }],
  Size: () => [{ dtype: 'int64', shape: [] }],
  ConstantOfShape: (n, ins) => {
    const s = need(n, ins, 0);
    const len = s.shape[0];
    const v = n.attrs.value as TensorData | undefined;
    const dims =
      s.constValue ??
      (typeof len === 'number' ? Array.from({ length: len }, () => unknownDim()) : fail(n, 'shape length unknown'));
    return [{ dtype: v?.dtype ?? 'float32', shape: dims as Shape }];
  },
  Expand: (n, ins) => {
    const x = need(n, ins, 0);
    const s = need(n, ins, 1, 'shape');
    const t = s.constValue;
    const len = s.shape[0];
    const target: Shape =
      t ??
      (typeof len === 'number' ? Array.from({ length: len }, () => unknownDim()) : fail(n, 'shape length unknown'));
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, target, `node '${n.name}' (Expand)`) }];
  },
  OneHot: (n, ins) => {
    const idx = need(n, ins, 0);
    const depth = need(n, ins, 1, 'depth').constValue?.[0] ?? unknownDim();
    const vals = need(n, ins, 2, 'values');
    const a = intAttr(n, 'axis', -1);
    const shape = [...idx.shape];
    shape.splice(a < 0 ? shape.length + 1 + a : a, 0, depth);
    return [{ dtype: vals.dtype, shape }];
  },
  Range: (n, ins) => [{ dtype: need(n, ins, 0).dtype, shape: [unknownDim()] }],
  NonZero: (n, ins) => [{ dtype: 'int64', shape: [need(n, ins, 0).rank, unknownDim()] }],
  SoftmaxCrossEntropyLoss: sceLossInfer,
  Loop: loopInfer,
  Scan: scanInfer,
  // dtype: the attribute's when set (as ONNX says), else the input's.
  RandomUniformLike: (n, ins) => {
    const x = need(n, ins, 0);
    const code = n.attrs.dtype as number | undefined;
    if (code !== undefined && !DTYPE_OF_CODE[code]) fail(n, `unsupported dtype ${code}`);
    const dtype = code === undefined ? x.dtype : DTYPE_OF_CODE[code];
    return [{ dtype, shape: x.shape }];
  },
};

export function inferOutputs(node: Node, expected?: number): OutInfo[] {
  const f = INFER[node.opType];
  if (!f)
    throw new GraphBuildError(
      `node '${node.name}': no shape inference for op '${node.opType}' (add it to src/onnx/shape-inference.ts)`,
    );
  return f(node, node.inputs, expected);
}
