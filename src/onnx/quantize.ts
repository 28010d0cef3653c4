// Dynamic int8 quantization of an inference graph's weights, in the form ONNX Runtime's
// quantize_dynamic writes (onnxruntime/python/tools/quantization, IntegerOps mode, as transformers.js
// runs it for its `q8` files: signed int8 weights, per tensor, symmetric, no reduced range;
// activations quantized at run time to uint8):
//   MatMul/Gemm with a constant weight W:  DynamicQuantizeLinear(A) -> (A_q, A_scale, A_zp);
//     MatMulInteger(A_q, W_q, A_zp, W_zp) -> int32 -> Cast float -> Mul(A_scale * W_scale)
//     (+ Add(bias) for a Gemm's C; a Gemm's transB is applied to W_q, its alpha folded into W_scale)
//   Gather from a constant table (embeddings): Gather(W_q, ids) -> DequantizeLinear(., W_scale, W_zp)
// Weights: scale = max(|min(w, 0)|, |max(w, 0)|) / 127 (in float32), zero point 0,
// q = clip(round_half_even(w / scale), -127, 127). Works on the serialised graph (onnx-proto), so
// any graph our builder emits can be quantized after the fact; other nodes are left as they are.
import type onnxProto from 'onnx-proto';
import { ONNX_DTYPE } from './dtype.js';

type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export interface QuantizeReport {
  matmuls: number;
  gathers: number;
}

/** Quantized weight: int8 data, the scale (float32) and zero point (0). */
export interface QuantizedWeight {
  data: Int8Array;
  scale: number;
}

/** numpy's round: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-tensor symmetric int8, as quantize_data(weight, QInt8, symmetric=True). */
export function quantizeWeight(w: Float32Array): QuantizedWeight {
  let rmin = 0,
    rmax = 0;
  for (const v of w) {
    if (v < rmin) rmin = v;
    if (v > rmax) rmax = v;
  }
  const absmax = Math.fround(Math.max(Math.abs(rmin), Math.abs(rmax)));
  // (rmax - rmin) / (qmax - qmin) with rmin = -absmax, rmax = absmax, qmin = -127, qmax = 127
  let scale = Math.fround(Math.fround(2 * absmax) / 254);
  if (scale < 1.1754943508222875e-38) scale = 1; // float32 tiny: an all-zero weight
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) data[i] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(w[i]! / scale))));
  return { data, scale };
}

export function quantizeDynamic(graph: GraphProto): { graph: GraphProto; report: QuantizeReport } {
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) inits.set(t.name!, t);
  const uses = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const added: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const dropped = new Set<string>();
  const report: QuantizeReport = { matmuls: 0, gathers: 0 };
  /** Activations quantized once each (several MatMuls may read one input). */
  const dynamic = new Map<string, [string, string, string]>();
  /** Weights quantized once each (a weight read by several nodes, in one layout). */
  const weights = new Map<string, { q: string; zp: string; scale: number }>();
  const scales = new Map<string, string>();
  const floatWeight = (name: string | undefined | null, rank: number): Float32Array | undefined => {
    const t = name ? inits.get(name) : undefined;
    if (!t || t.dataType !== ONNX_DTYPE.float32 || (t.dims ?? []).length !== rank || !t.rawData) return undefined;
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  const release = (name: string) => {
    const left = (uses.get(name) ?? 1) - 1;
    uses.set(name, left);
    if (left === 0) dropped.add(name);
  };
  const tensor = (name: string, dataType: number, dims: number[], bytes: Uint8Array): string => {
    added.push({ name, dataType, dims, rawData: bytes });
    return name;
  };
  const scalar = (name: string, v: number) => tensor(name, ONNX_DTYPE.float32, [], bytesOf(Float32Array.of(v)));
  // Symmetric weights: every zero point is 0, so all share one.
  let zeroPoint: string | undefined;
  const zero = () => (zeroPoint ??= tensor('weight_zero_point_int8', INT8, [], new Uint8Array(1)));

  for (const node of graph.node ?? []) {
    const op = node.opType;
    const ins = node.input ?? [];
    const attrs = Object.fromEntries((node.attribute ?? []).map((a) => [a.name!, a]));
    const isGemm = op === 'Gemm' && !(attrs.transA?.i && Number(attrs.transA.i) !== 0);
    if ((op === 'MatMul' || isGemm) && floatWeight(ins[1], 2)) {
      const w = floatWeight(ins[1], 2)!;
      const [d0, d1] = (inits.get(ins[1]!)!.dims ?? []).map(Number) as [number, number];
      const transB = isGemm && Number(attrs.transB?.i ?? 0) === 1;
      const alpha = isGemm ? (attrs.alpha?.f ?? 1) : 1;
      const beta = isGemm ? (attrs.beta?.f ?? 1) : 1;
      // MatMulInteger's B is [K, N]; a Gemm with transB holds W as [N, K]
      const base = ins[1]!;
      const key = `${base}${transB && weights.has(base) ? '_t' : ''}`; // (the other layout of a shared weight)
      let qw = weights.get(key);
      if (!qw) {
        const [k, n] = transB ? [d1, d0] : [d0, d1];
        const q = quantizeWeight(transB ? transpose(w, d0, d1) : w);
        qw = {
          q: tensor(`${key}_quantized`, INT8, [k, n], new Uint8Array(q.data.buffer)),
          zp: zero(),
          scale: q.scale,
        };
        weights.set(key, qw);
      }
      const scaleKey = `${key}|${alpha}`;
      let ws = scales.get(scaleKey);
      if (!ws) {
        const other = [...scales.keys()].filter((x) => x.startsWith(`${key}|`)).length; // another alpha
        ws = scalar(`${key}_scale${other ? `_${other}` : ''}`, Math.fround(qw.scale * alpha));
        scales.set(scaleKey, ws);
      }
      const wq = qw.q;
      const wz = qw.zp;
      release(base);
      const a = ins[0]!;
      let aq = dynamic.get(a);
      if (!aq) {
        aq = [`${a}_quantized`, `${a}_scale`, `${a}_zero_point`];
        dynamic.set(a, aq);
        nodes.push({ opType: 'DynamicQuantizeLinear', input: [a], output: aq });
      }
      // Short value names and unnamed nodes (names are optional in ONNX): on a small model the
      // graph's text is a visible share of the file.
      const out = node.output![0]!;
      const mm = `${out}_int32`;
      nodes.push({ opType: 'MatMulInteger', input: [aq[0], wq, aq[2], wz], output: [mm] });
      nodes.push({
        opType: 'Cast',
        input: [mm],
        output: [`${out}_float`],
        attribute: [{ name: 'to', type: INT_ATTR, i: ONNX_DTYPE.float32 }],
      });
      nodes.push({ opType: 'Mul', input: [aq[1], ws], output: [`${out}_scales`] });
      const c = isGemm ? ins[2] : undefined;
      const scaled = c ? `${out}_scaled` : out;
      nodes.push({ opType: 'Mul', input: [`${out}_float`, `${out}_scales`], output: [scaled] });
      if (c) {
        let bias = c;
        if (beta !== 1) {
          const b = floatWeight(c, 1);
          if (!b) throw new Error(`quantize: Gemm '${node.name}' has beta ${beta} on a non-constant C`);
          bias = tensor(`${c}_beta`, ONNX_DTYPE.float32, [b.length], bytesOf(b.map((v) => Math.fround(v * beta))));
          release(c);
        }
        nodes.push({ opType: 'Add', input: [scaled, bias], output: [out] });
      }
      report.matmuls++;
      continue;
    }
    if (op === 'Gather' && ins[0] && inits.get(ins[0])?.dataType === ONNX_DTYPE.float32) {
      const t = inits.get(ins[0])!;
      const w = floatWeight(ins[0], (t.dims ?? []).length)!;
      const q = quantizeWeight(w);
      const base = ins[0];
      const wq = tensor(`${base}_quantized`, INT8, (t.dims ?? []).map(Number), new Uint8Array(q.data.buffer));
      const ws = scalar(`${base}_scale`, q.scale);
      const wz = zero();
      release(base);
      const out = node.output![0]!;
      const gathered = `${out}_quantized`;
      nodes.push({ ...node, input: [wq, ...ins.slice(1)], output: [gathered] });
      nodes.push({ opType: 'DequantizeLinear', input: [gathered, ws, wz], output: [out] });
      report.gathers++;
      continue;
    }
    nodes.push(node);
  }
  return {
    graph: {
      ...graph,
      node: nodes,
      initializer: [...(graph.initializer ?? []).filter((t) => !dropped.has(t.name!)), ...added],
    },
    report,
  };
}

const INT8 = 3; // TensorProto.INT8
const INT_ATTR = 2; // AttributeProto.INT

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
