// Finite-difference gradient check: builds y = f(inputs), loss = sum(y * R) with a fixed random R,
// compares the autodiff gradient with central differences of the loss, element by element.
import { gradients } from '../../src/autodiff/backward.js';
import type { DType, TypedArray } from '../../src/onnx/dtype.js';
import { typedArrayOf } from '../../src/onnx/dtype.js';
import { Graph, type Value } from '../../src/onnx/graph.js';
import { sessionFor, tensor } from '../../src/onnx/session.js';
import { mulberry32 } from '../../src/util/random.js';
import { numElements } from '../../src/util/shape.js';

export interface CheckInput {
  name: string;
  shape: number[];
  dtype?: DType;
  /** Values; default random normal. */
  data?: number[];
  /** false for integer/index inputs or inputs held constant. */
  grad?: boolean;
}

export interface GradCheckResult {
  maxAbsErr: number;
  maxRelErr: number;
  checked: number;
  worst: string;
}

export function randn(n: number, r: () => number): number[] {
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

export async function gradCheck(
  inputs: CheckInput[],
  build: (g: Graph, xs: Value[]) => Value,
  opts: { dtype?: DType; eps?: number; atol?: number; rtol?: number; maxElems?: number; seed?: number } = {},
): Promise<GradCheckResult> {
  const fdtype = opts.dtype ?? 'float64';
  const eps = opts.eps ?? (fdtype === 'float64' ? 1e-6 : 1e-2);
  const atol = opts.atol ?? (fdtype === 'float64' ? 1e-7 : 2e-3);
  const rtol = opts.rtol ?? (fdtype === 'float64' ? 1e-5 : 2e-2);
  const r = mulberry32(opts.seed ?? 1);
  const g = new Graph('gradcheck');
  const specs = inputs.map((i) => ({ ...i, dtype: i.dtype ?? fdtype }));
  const xs = specs.map((s) => g.input(s.name, s.dtype, s.shape));
  const y = build(g, xs);
  if (!y.shape.every((d) => typeof d === 'number'))
    throw new Error(`gradCheck: output shape [${y.shape}] must be static`);
  const R = g.constant(
    y.dtype,
    typedArrayOf(y.dtype, randn(numElements(y.shape as number[]), r)) as TypedArray,
    y.shape as number[],
  );
  const loss = g.op('ReduceSum', [g.op('Mul', [y, R])], { keepdims: 0 });
  g.output(loss, 'loss');
  const wrt = specs.map((s, i) => (s.grad === false ? null : xs[i])).filter((v): v is Value => !!v);
  const grads = gradients(loss, wrt);
  grads.forEach((d, i) => g.output(d, `grad_${wrt[i].name}`));
  const session = await sessionFor(g, { graphOptimizationLevel: 'disabled' });

  const data = specs.map((s) => s.data ?? randn(numElements(s.shape), r));
  const feeds = () =>
    Object.fromEntries(specs.map((s, i) => [s.name, tensor(s.dtype, typedArrayOf(s.dtype, data[i]), s.shape)]));
  const analytic = await session.run(feeds());
  const lossAt = async () => Number((await session.run(feeds(), ['loss'])).loss.data[0]);

  let maxAbsErr = 0,
    maxRelErr = 0,
    checked = 0,
    worst = '';
  for (const [wi, p] of wrt.entries()) {
    const idx = specs.findIndex((s) => s.name === p.name);
    const dA = analytic[`grad_${p.name}`].data as Float64Array;
    const n = data[idx].length;
    const picks =
      n <= (opts.maxElems ?? 64)
        ? [...Array(n).keys()]
        : Array.from({ length: opts.maxElems ?? 64 }, () => Math.floor(r() * n));
    for (const e of picks) {
      const orig = data[idx][e];
      data[idx][e] = orig + eps;
      const up = await lossAt();
      data[idx][e] = orig - eps;
      const down = await lossAt();
      data[idx][e] = orig;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(Number(dA[e]) - numeric);
      const rel = err / Math.max(Math.abs(numeric), 1e-12);
      if (err > atol + rtol * Math.abs(numeric) && err > maxAbsErr)
        worst = `${p.name}[${e}]: autodiff ${dA[e]} vs numeric ${numeric}`;
      if (err > atol + rtol * Math.abs(numeric)) {
        throw new Error(
          `gradient mismatch for ${p.name}[${e}] (input ${wi}): autodiff ${dA[e]}, finite differences ${numeric}, |err| ${err.toExponential(2)}`,
        );
      }
      maxAbsErr = Math.max(maxAbsErr, err);
      maxRelErr = Math.max(maxRelErr, Math.abs(numeric) > 1e-6 ? rel : 0);
      checked++;
    }
  }
  await session.release();
  return { maxAbsErr, maxRelErr, checked, worst };
}
