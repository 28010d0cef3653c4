// Graph -> ONNX ModelProto bytes (onnx-proto: the official onnx.proto compiled for protobufjs).
import onnxProto from 'onnx-proto';
import { BYTES_PER_ELEMENT, ONNX_DTYPE, type TypedArray } from './dtype.js';
import { FloatAttr, Graph, isUnknown, type Shape, type TensorData, type Value } from './graph.js';
import type { Attr } from './graph.js';

const { onnx } = onnxProto;
export const OPSET = 17;

function valueInfo(v: Value, name = v.name): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim: shapeDims(v.shape) } } },
  };
}

function shapeDims(shape: Shape): onnxProto.onnx.TensorShapeProto.IDimension[] {
  return shape.map((d) => (typeof d === 'number' ? { dimValue: d } : isUnknown(d) ? {} : { dimParam: d }));
}

function tensorProto(name: string, t: TensorData): onnxProto.onnx.ITensorProto {
  const data = t.data as TypedArray;
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.length * BYTES_PER_ELEMENT[t.dtype]);
  return { name, dims: t.shape, dataType: ONNX_DTYPE[t.dtype], rawData: raw };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (a instanceof FloatAttr) return { name, type: T.FLOAT, f: a.value };
  if (typeof a === 'number') return Number.isInteger(a) ? { name, type: T.INT, i: a } : { name, type: T.FLOAT, f: a };
  if (typeof a === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(a) };
  if (a instanceof Graph) return { name, type: T.GRAPH, g: graphProto(a) };
  if (Array.isArray(a)) {
    if (a.every((x) => typeof x === 'string'))
      return { name, type: T.STRINGS, strings: (a as string[]).map((s) => new TextEncoder().encode(s)) };
    const nums = a as number[];
    return nums.every(Number.isInteger) ? { name, type: T.INTS, ints: nums } : { name, type: T.FLOATS, floats: nums };
  }
  if ('inputs' in a) throw new Error(`attribute '${name}': a subgraph must be built with Graph (got '${a.name}')`);
  return { name, type: T.TENSOR, t: tensorProto('', a) };
}

export function graphProto(g: Graph): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    input: g.inputs.map((v) => valueInfo(v)),
    output: g.outputs.map((o) => valueInfo(o.value, o.name)),
    initializer: g.initializers.map((i) =>
      tensorProto(i.value.name, { dtype: i.value.dtype, shape: i.value.shape as number[], data: i.data }),
    ),
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: n.inputs.map((v) => v?.name ?? ''),
      output: n.outputs.map((v) => v.name),
      attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
    })),
  };
}

/** Operator sets beyond the default domain that nodes may use (ONNX Runtime's contrib ops). */
const EXTRA_DOMAINS: Record<string, number> = { 'com.microsoft': 1 };

/** Domains used by the nodes of `g` and its subgraphs. */
function domainsOf(g: Graph, into = new Set<string>()): Set<string> {
  for (const n of g.nodes) {
    if (n.domain) into.add(n.domain);
    for (const a of Object.values(n.attrs)) if (a instanceof Graph) domainsOf(a, into);
  }
  return into;
}

/** Serialises `g` as a complete model (opset 17 plus any extra domains used); `transform` rewrites the serialised graph first (quantization). */
export function toModelBytes(
  g: Graph,
  opts: {
    producer?: string;
    docString?: string;
    transform?: (graph: onnxProto.onnx.IGraphProto) => onnxProto.onnx.IGraphProto;
  } = {},
): Uint8Array {
  const extra = [...domainsOf(g)].map((domain) => {
    const version = EXTRA_DOMAINS[domain];
    if (!version) throw new Error(`graph '${g.name}' uses operator domain '${domain}', which has no known version`);
    return { domain, version };
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: opts.producer ?? 'textclf',
    docString: opts.docString ?? '',
    opsetImport: [{ domain: '', version: OPSET }, ...extra],
    graph: opts.transform ? opts.transform(graphProto(g)) : graphProto(g),
  });
  return onnx.ModelProto.encode(model).finish();
}
