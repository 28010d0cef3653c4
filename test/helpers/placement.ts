// Where ONNX Runtime places each node of a graph on the WebGPU device. A fresh process opens the
// session exactly as training does (sessionFor with the webgpu device's providers) with ORT's
// verbose log on; the log's "Node placements" sections (one per graph: the main graph and each
// Scan body, which ORT partitions on its own) name every node and its execution provider, and its
// "Add MemcpyToHost/FromHost" lines name every value that crosses between host and GPU. Each node
// is matched by name to the Graph we built (names are unique across a graph and its subgraphs), so
// a CPU-placed node can be told apart as int64 shape arithmetic or a float op.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE, type DType } from '../../src/onnx/dtype.js';
import type { Graph, Node } from '../../src/onnx/graph.js';
import { toModelBytes } from '../../src/onnx/serialize.js';

const { onnx } = onnxProto;

export const WEBGPU_EP = 'WebGpuExecutionProvider';
export const CPU_EP = 'CPUExecutionProvider';

export interface PlacedNode {
  ep: string;
  opType: string;
  /** ORT's node name: ours, or one ORT made (fusions, inlined functions, memcpy). */
  name: string;
  /** The graph (main or a Scan body) of our node of that name; absent for nodes ORT made. */
  graph?: string;
  /** dtypes of our node's inputs and outputs (absent for nodes ORT made). */
  dtypes?: DType[];
}

export interface Placement {
  /** The nodes the log lists (a graph wholly on one EP is counted there, not listed). */
  nodes: PlacedNode[];
  /** Nodes per EP over all graphs, as the log's headers count them. */
  counts: Record<string, number>;
  /** Values copied GPU -> host ("Add MemcpyToHost before X") and host -> GPU, per ORT's memcpy transformer. */
  toHost: string[];
  fromHost: string[];
}

const SCRIPT = (bytes: string) => `
import { readFileSync } from 'node:fs';
import { sessionFor } from ${JSON.stringify(new URL('../../src/onnx/session.ts', import.meta.url).pathname)};
import { executionProviders } from ${JSON.stringify(new URL('../../src/runtime/device.ts', import.meta.url).pathname)};
const s = await sessionFor(new Uint8Array(readFileSync(${JSON.stringify(bytes)})), {
  executionProviders: executionProviders({ kind: 'webgpu' }),
  verbose: true,
});
await s.release();
// The same session once more, saving the optimized graph: the inputs of nodes ORT made are read there.
const ort = await import('onnxruntime-node');
const again = await ort.InferenceSession.create(new Uint8Array(readFileSync(${JSON.stringify(bytes)})), {
  executionProviders: executionProviders({ kind: 'webgpu' }),
  graphOptimizationLevel: 'all',
  enableMemPattern: false,
  optimizedModelFilePath: ${JSON.stringify(bytes + '.optimized')},
});
await again.release();
console.log('PLACEMENT-PROBE-DONE');
`;

/** Opens `graph` on the webgpu device in a child process and reads where ORT placed every node. */
export function probePlacement(graph: Graph): Placement {
  const dir = mkdtempSync(join(tmpdir(), 'textclf-placement-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, toModelBytes(graph));
    // ORT writes its log natively: into a pipe (non-blocking in Node) lines get lost, into a file never.
    const logFile = join(dir, 'ort.log');
    const fd = openSync(logFile, 'w');
    let r;
    try {
      r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT(file)], {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, NODE_OPTIONS: '', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? dir },
        timeout: 300_000,
      });
    } finally {
      closeSync(fd);
    }
    const log = readFileSync(logFile, 'utf8');
    if (r.status !== 0 || !log.includes('PLACEMENT-PROBE-DONE'))
      throw new Error(`placement probe failed (exit ${r.status}, ${r.signal ?? 'no signal'}):\n${log.slice(-4000)}`);
    return parsePlacement(log, graph, readFileSync(`${file}.optimized`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every node of `graph` and of its subgraphs (Scan/Loop bodies), by name. */
export function nodesByName(graph: Graph): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (g: Graph) => {
    for (const n of g.nodes) {
      out.set(n.name, n);
      for (const a of Object.values(n.attrs)) if (isGraph(a)) walk(a);
    }
  };
  walk(graph);
  return out;
}

const isGraph = (a: unknown): a is Graph =>
  typeof a === 'object' && a !== null && 'nodes' in a && Array.isArray((a as Graph).nodes);

/**
 * dtypes of the values of ORT's optimized graph (which carries no value_info): ours by name, the
 * initializers', and through the ops ORT's fusions make (shape gathers, inlined functions) from
 * their inputs. undefined where it cannot tell.
 */
function optimizedDtypes(optimized: Uint8Array, graph: Graph): (value: string) => DType | undefined {
  const all = optimizedNodes(optimized);
  const ours = new Map<string, DType>();
  for (const n of nodesByName(graph).values())
    for (const v of [...n.inputs, ...n.outputs]) if (v) ours.set(v.name, v.dtype);
  for (const v of graph.inputs) ours.set(v.name, v.dtype);
  const codes = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([d, c]) => [c, d as DType]));
  const inits = new Map(all.initializers.map((t) => [t.name!, codes[t.dataType!]]));
  const producer = new Map(all.nodes.flatMap((n) => n.output!.map((o) => [o, n] as const)));
  const memo = new Map<string, DType | undefined>();
  const dtype = (v: string): DType | undefined => {
    if (memo.has(v)) return memo.get(v);
    memo.set(v, undefined); // cycles (none expected) resolve to unknown
    let d = ours.get(v) ?? inits.get(v);
    const p = producer.get(v);
    if (!d && p) {
      if (p.opType === 'Shape' || p.opType === 'Size') d = 'int64';
      else if (p.opType === 'Cast') d = codes[Number(p.attribute!.find((a) => a.name === 'to')?.i ?? -1)];
      else if (SAME_TYPE_AS_INPUT0.has(p.opType!)) d = dtype(p.input![0]);
    }
    memo.set(v, d);
    return d;
  };
  return dtype;
}

/** Every node and initializer of ORT's optimized model, Scan bodies included. */
function optimizedNodes(optimized: Uint8Array) {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const walk = (g: onnxProto.onnx.IGraphProto) => {
    initializers.push(...(g.initializer ?? []));
    for (const n of g.node ?? []) {
      nodes.push(n);
      for (const a of n.attribute ?? []) if (a.g) walk(a.g);
    }
  };
  walk(onnx.ModelProto.decode(optimized).graph!);
  return { nodes, initializers };
}

/** Ops whose output has their first input's dtype (what ORT's fusions emit on shapes). */
const SAME_TYPE_AS_INPUT0 = new Set([
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Reshape',
  'Concat',
  'Slice',
  'Split',
  'Transpose',
  'Identity',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'LogSoftmax',
  'Softmax',
  'Neg',
  'ReduceSum',
  'ReduceMean',
]);

export function parsePlacement(log: string, graph: Graph, optimized?: Uint8Array): Placement {
  const ours = nodesByName(graph);
  const made = optimized && optimizedDtypes(optimized, graph);
  const madeNodes = optimized ? optimizedNodes(optimized).nodes : [];
  const nodes: PlacedNode[] = [];
  const toHost: string[] = [];
  const fromHost: string[] = [];
  let ep: string | undefined;
  const place = (epName: string, opType: string, name: string) => {
    const n = ours.get(name);
    nodes.push({
      ep: epName,
      opType,
      name,
      ...(n && n.opType === opType
        ? {
            graph: n.graph.name,
            dtypes: [...n.inputs.flatMap((v) => (v ? [v.dtype] : [])), ...n.outputs.map((v) => v.dtype)],
          }
        : ortMade(opType, name)),
    });
  };
  // A node ORT made (a fusion's copy of a shape gather, an inlined function), typed from the optimized model.
  const ortMade = (opType: string, name: string): Partial<PlacedNode> => {
    const p = name ? madeNodes.find((x) => x.name === name && x.opType === opType) : undefined;
    if (!p || !made || opType === 'Cast' || opType.startsWith('Random') || opType === 'ConstantOfShape') return {};
    const ds = [...p.input!, ...p.output!].filter((v) => v).map(made);
    return ds.every((d) => d) ? { graph: 'ORT-optimized', dtypes: ds as DType[] } : {};
  };
  let sections = 0;
  const counts: Record<string, number> = {};
  for (const line of log.split('\n')) {
    const copy = /Add (MemcpyToHost|MemcpyFromHost) (?:before|after) (\S+) for /.exec(line);
    if (copy) (copy[1] === 'MemcpyToHost' ? toHost : fromHost).push(copy[2]);
    if (/VerifyEachNodeIsAssignedToAnEp\] Node placements/.test(line)) {
      sections++;
      ep = undefined;
      continue;
    }
    // A graph wholly on one EP gets one line and no list ("All nodes placed on [EP]. Number of nodes: N").
    const head =
      /VerifyEachNodeIsAssignedToAnEp\]\s+(All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(
        line,
      );
    if (head) {
      ep = head[2];
      counts[ep] = (counts[ep] ?? 0) + Number(head[3]);
      continue;
    }
    const item = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \((.*)\)\s*$/.exec(line);
    if (item && ep) place(ep, item[1], item[2]);
    else if (!/VerifyEachNodeIsAssignedToAnEp/.test(line)) ep = undefined;
  }
  if (sections === 0) throw new Error('placement probe: the log has no "Node placements" section (verbose log off?)');
  const listed = (e: string) => nodes.filter((n) => n.ep === e).length;
  for (const [e, c] of Object.entries(counts))
    if (e !== WEBGPU_EP && c !== listed(e))
      throw new Error(`placement probe: ${e} has ${c} nodes, the log lists ${listed(e)}`);
  return { nodes, counts, toHost, fromHost };
}

const FLOATS: readonly DType[] = ['float32', 'float16', 'float64'];

/** A node that reads and writes no float tensor (int64 shape arithmetic and the like). */
export const touchesNoFloat = (n: PlacedNode) => !!n.dtypes && !n.dtypes.some((d) => FLOATS.includes(d));

/** Nodes not on the WebGPU EP (memcpy nodes are the WebGPU EP's own). */
export const offWebgpu = (p: Placement) => p.nodes.filter((n) => n.ep !== WEBGPU_EP);

/** "Op(name) [dtypes] in graph" lines, for failure messages and reports. */
export const describeNodes = (ns: PlacedNode[]) =>
  ns.map(
    (n) =>
      `${n.ep === CPU_EP ? '' : `${n.ep}: `}${n.opType}(${n.name}) [${n.dtypes?.join(',') ?? 'ORT-made'}] in ${n.graph ?? '?'}`,
  );
