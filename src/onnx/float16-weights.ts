// A float16 export's weights stored as float16: a graph emitted with a float16 compute type (the
// mixed-precision forward: matmuls and activations in float16, LayerNorm, softmax and the logits in
// float32) casts each float32 weight to float16 where it is used; here that Cast of a constant
// becomes a float16 constant, and each embedding table becomes a float16 table whose gathered rows
// are cast to float32 (the embeddings' sum and LayerNorm stay float32). About half the bytes of the
// float32 file; inputs and the logits output keep their types (transformers.js's fp16 files too).
import type onnxProto from 'onnx-proto';
import { float16Bits, ONNX_DTYPE } from './dtype.js';

type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

export function storeFloat16Weights(graph: GraphProto): GraphProto {
  const inits = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) inits.set(t.name!, t);
  const uses = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const isFloat32 = (name: string | null | undefined) => !!name && inits.get(name)?.dataType === ONNX_DTYPE.float32;
  const added: TensorProto[] = [];
  const halves = new Map<string, string>();
  const dropped = new Set<string>();
  const release = (name: string) => {
    const left = (uses.get(name) ?? 1) - 1;
    uses.set(name, left);
    if (left === 0) dropped.add(name);
  };
  const half = (name: string, as = `${name}_fp16`): string => {
    const done = halves.get(name);
    if (done) return done;
    const t = inits.get(name)!;
    const raw = t.rawData!;
    const f32 = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const bits = Uint16Array.from(f32, float16Bits);
    added.push({ name: as, dataType: ONNX_DTYPE.float16, dims: t.dims, rawData: new Uint8Array(bits.buffer) });
    halves.set(name, as);
    return as;
  };
  const nodes: NodeProto[] = [];
  const renamed = new Map<string, string>(); // a Cast's output -> the float16 constant that replaces it
  for (const node of graph.node ?? []) {
    const ins = (node.input ?? []).map((i) => renamed.get(i) ?? i);
    const to = node.attribute?.find((a) => a.name === 'to')?.i;
    if (node.opType === 'Cast' && Number(to) === ONNX_DTYPE.float16 && isFloat32(ins[0])) {
      renamed.set(node.output![0]!, half(ins[0]!));
      release(ins[0]!);
      continue;
    }
    if (node.opType === 'Gather' && isFloat32(ins[0])) {
      const out = node.output![0]!;
      const table = half(ins[0]!);
      release(ins[0]!);
      nodes.push({ ...node, input: [table, ...ins.slice(1)], output: [`${out}_fp16`] });
      nodes.push({
        opType: 'Cast',
        name: `${out}_to_float32`,
        input: [`${out}_fp16`],
        output: [out],
        attribute: [{ name: 'to', type: 2, i: ONNX_DTYPE.float32 }],
      });
      continue;
    }
    nodes.push({ ...node, input: ins });
  }
  return {
    ...graph,
    node: nodes,
    initializer: [...(graph.initializer ?? []).filter((t) => !dropped.has(t.name!)), ...added],
  };
}
