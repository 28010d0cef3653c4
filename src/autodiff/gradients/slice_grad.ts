// Slice with constant starts/ends/axes/steps. Step 1 (e.g. the [CLS] token x[:, 0:1]): dx = Pad(dy)
// with zeros before and after the kept range; pads are constants when the dims are known and are
// computed from Shape(x) at run time otherwise. Other steps (static dims only) scatter dy back
// one axis at a time.
import type { Dim, Graph, Value } from '../../onnx/graph.js';
import { castIfNeeded, invertPerm, normAxis, zerosOfShape } from '../helpers.js';
import type { GradContext, GradientSpec } from '../types.js';

interface AxisSlice {
  axis: number;
  start: number;
  end: number;
  step: number;
}

function sliceSpec(c: GradContext): AxisSlice[] {
  const x = c.x(0);
  const consts = [1, 2, 3, 4].map((i) => {
    const v = c.node.inputs[i];
    if (v && !v.constValue)
      throw new Error(`gradient of '${c.node.name}': Slice input ${i} ('${v.name}') must be a constant`);
    return v?.constValue;
  });
  const [starts, ends, axes, steps] = consts;
  return starts!.map((s, i) => ({
    axis: normAxis(axes?.[i] ?? i, x.rank),
    start: s,
    end: ends![i],
    step: steps?.[i] ?? 1,
  }));
}

/** Start/end clamped the way ONNX Slice clamps them, for a known dim and step > 0. */
function clampStatic(s: AxisSlice, d: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v < 0 ? v + d : v));
  if (s.step > 0) return [clamp(s.start, 0, d), clamp(s.end, 0, d)];
  return [clamp(s.start, -1, d - 1), clamp(s.end, -1, d - 1)];
}

function padGrad(g: Graph, x: Value, dy: Value, spec: AxisSlice[]): Value {
  const before: (number | Value)[] = new Array(x.rank).fill(0);
  const after: (number | Value)[] = new Array(x.rank).fill(0);
  let dims: Value | undefined;
  for (const s of spec) {
    const d = x.shape[s.axis];
    if (typeof d === 'number') {
      const [b, e] = clampStatic(s, d);
      before[s.axis] = b;
      after[s.axis] = d - Math.max(b, e);
      continue;
    }
    // Symbolic dim (e.g. sequence length): clamp start/end against Shape(x) at run time.
    dims ??= g.op('Shape', [x]);
    const dim = g.op('Gather', [dims, g.ints([s.axis])]);
    // ends like INT64_MAX ("to the end") do not survive a JS number: anything past 2^31 means dim.
    const clamp = (v: number) =>
      v >= 2 ** 31
        ? dim
        : g.op('Max', [g.ints([0]), g.op('Min', [dim, v < 0 ? g.op('Add', [dim, g.ints([v])]) : g.ints([v])])]);
    const b = clamp(s.start);
    before[s.axis] = b;
    after[s.axis] = g.op('Sub', [dim, g.op('Max', [b, clamp(s.end)])]);
  }
  const all = [...before, ...after];
  const pads = all.every((p) => typeof p === 'number')
    ? g.ints(all as number[])
    : g.op(
        'Concat',
        all.map((p) => (typeof p === 'number' ? g.ints([p]) : p)),
        { axis: 0 },
      );
  // CUDA has no bfloat16 Pad: pad in float32 (exact both ways).
  if (dy.dtype === 'bfloat16') return castIfNeeded(g, g.op('Pad', [castIfNeeded(g, dy, 'float32'), pads]), 'bfloat16');
  return g.op('Pad', [dy, pads]);
}

function scatterGrad(g: Graph, x: Value, dy: Value, spec: AxisSlice[]): Value {
  // Undo one axis at a time: ScatterND along a leading axis, so move that axis first and back.
  let cur = dy;
  const shape: Dim[] = [...dy.shape];
  for (const s of spec) {
    const d = x.shape[s.axis];
    if (typeof d !== 'number')
      throw new Error(`Slice gradient: step ${s.step} on axis ${s.axis} needs a known dimension, got '${d}'`);
    const [b, e] = clampStatic(s, d);
    const idx: number[] = [];
    for (let v = b; s.step > 0 ? v < e : v > e; v += s.step) idx.push(v);
    const perm = [s.axis, ...shape.map((_, i) => i).filter((i) => i !== s.axis)];
    shape[s.axis] = d;
    const zshape = perm.map((p) => shape[p]);
    const zerosShape = zshape.every((z) => typeof z === 'number')
      ? g.ints(zshape as number[])
      : g.op(
          'Concat',
          zshape.map((z, i) =>
            typeof z === 'number' ? g.ints([z]) : g.op('Gather', [g.op('Shape', [cur]), g.ints([perm[i]])]),
          ),
          { axis: 0 },
        );
    const coords = g.constant('int64', idx, [idx.length, 1]);
    const moved = g.op('ScatterND', [zerosOfShape(g, zerosShape, x.dtype), coords, g.op('Transpose', [cur], { perm })]);
    cur = g.op('Transpose', [moved], { perm: invertPerm(perm) });
  }
  return cur;
}

export const sliceGrad: GradientSpec = {
  op: 'Slice',
  grad: (c) => {
    const { g } = c;
    const x = c.x(0),
      dy = c.dy(0)!;
    const spec = sliceSpec(c);
    const dx = spec.every((s) => s.step === 1) ? padGrad(g, x, dy, spec) : scatterGrad(g, x, dy, spec);
    return [dx, null, null, null, null];
  },
};
