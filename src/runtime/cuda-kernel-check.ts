// A static placement guard for the CUDA EP: for each node of a graph (Loop bodies included),
// would ORT find a CUDA kernel? ORT matches a node by the *schema version* in force at the model's
// opset (the latest version <= opset) against each registration: an exact `since` match, or a
// closed range [since, end] containing it (kernel_registry.cc, VerifyVersion); typed registrations
// also need the node's type. A float node without a kernel runs on the CPU with copies around it;
// int64/bool shape arithmetic there is fine (ORT places it on the CPU on purpose).
import { Graph, type Node } from '../onnx/graph.js';
import type { DType } from '../onnx/dtype.js';
import { CUDA_CONTRIB_KERNELS, CUDA_KERNELS, ONNX_FUNCTIONS, ONNX_SINCE, type CudaKernelRow } from './cuda-kernels.js';

/** One registry, as ORT builds it: the provider's own kernels and those contrib_ops registers (both domains). */
const ALL_KERNELS: readonly CudaKernelRow[] = [...CUDA_KERNELS, ...CUDA_CONTRIB_KERNELS];

const FLOAT: ReadonlySet<string> = new Set(['float32', 'float16', 'float64', 'bfloat16']);

/** Which input carries the type a typed registration names, when not input 0 (Slice: its index type). */
const TYPE_INPUT: Readonly<Record<string, number>> = { Where: 1, Slice: 1 };
/** Ops that never run as kernels: ORT turns Constant nodes into initializers when it loads the graph. */
const NO_KERNEL: ReadonlySet<string> = new Set(['Constant']);

/** Opset versions our graphs import for the non-ONNX domains (src/onnx/serialize.ts). */
const DOMAIN_VERSION: Readonly<Record<string, number>> = { 'com.microsoft': 1 };

/** The schema version of `op` (ai.onnx) a model of `opset` uses; undefined for unknown ops. */
export function schemaVersion(op: string, opset: number): number | undefined {
  const v = ONNX_SINCE[op];
  return v ? [...v].reverse().find((s) => s <= opset) : undefined;
}

export interface KernelLookup {
  /** The schema version the node resolves to. */
  since?: number;
  /** The registration that would run it. */
  kernel?: CudaKernelRow;
  /** Registrations for the version that lack the type. */
  wrongType?: CudaKernelRow[];
}

/** The CUDA registration ORT would pick for `op` at `opset` with element type `dtype`. */
export function cudaKernelFor(op: string, opset: number, dtype?: string, domain = ''): KernelLookup {
  // Contrib ops are versioned by their own domain's import, not by the ai.onnx opset.
  const since = domain === '' ? schemaVersion(op, opset) : DOMAIN_VERSION[domain];
  if (since === undefined) return {};
  const rows = ALL_KERNELS.filter(
    (k) => k[0] === op && k[1] === domain && (k[2] === since || (k[3] !== null && k[2] <= since && k[3] >= since)),
  );
  const fits = rows.find((k) => k[4] === null || dtype === undefined || k[4].split(',').includes(dtype));
  return fits ? { since, kernel: fits } : { since, wrongType: rows.length ? rows : undefined };
}

/**
 * Whether `op` has a float16 CUDA kernel at `opset` (the mixed-precision work's question): 'yes'
 * from a typed registration, 'no', or 'untyped' when the registration takes its types from the
 * kernel's own constraint, which the table does not hold.
 */
export function float16CudaKernel(op: string, opset: number, domain = ''): 'yes' | 'no' | 'untyped' {
  const k = cudaKernelFor(op, opset, 'float16', domain).kernel;
  return !k ? 'no' : k[4] === null ? 'untyped' : 'yes';
}

export interface PlacementNode {
  /** Graph path: "train_steps/step_body". */
  graph: string;
  node: string;
  op: string;
  dtype: DType | 'none';
}

export interface PlacementReport {
  /** Float nodes with no CUDA kernel (and no function body ORT could expand): the failures. */
  missing: (PlacementNode & { why: string })[];
  /** Non-float nodes without a kernel: int64/bool shape arithmetic, placed on the CPU by design. */
  cpuShapeOps: PlacementNode[];
  /** Nodes without a kernel that ORT expands into their ONNX function body. */
  expanded: PlacementNode[];
  /** Float nodes matched by an untyped registration: the type is not checked by the table. */
  untyped: PlacementNode[];
  /** Nodes checked, subgraphs included. */
  nodes: number;
}

function nodeType(n: Node): DType | 'none' {
  const typed = n.inputs[TYPE_INPUT[n.opType] ?? 0];
  if (typed) return typed.dtype;
  return n.outputs[0]?.dtype ?? 'none';
}

function isFloatNode(n: Node): boolean {
  return [...n.inputs, ...n.outputs].some((v) => v && FLOAT.has(v.dtype));
}

/**
 * Walks every node of `graphs` (Loop/If/Scan bodies included) and reports which would leave the
 * CUDA EP. `as` checks the graph as if its float32 tensors were float16 (the mixed-precision
 * question); by default each node's own type is checked.
 */
export function checkCudaPlacement(
  graphs: { name: string; graph: Graph }[],
  opts: { opset: number; as?: 'float16' },
): PlacementReport {
  const report: PlacementReport = { missing: [], cpuShapeOps: [], expanded: [], untyped: [], nodes: 0 };
  const visit = (g: Graph, path: string) => {
    for (const n of g.nodes) {
      report.nodes++;
      for (const [k, a] of Object.entries(n.attrs)) if (a instanceof Graph) visit(a, `${path}/${a.name || k}`);
      if (NO_KERNEL.has(n.opType) && n.domain === '') continue;
      let dtype = nodeType(n);
      if (opts.as === 'float16' && dtype === 'float32') dtype = 'float16';
      const where: PlacementNode = { graph: path, node: n.name, op: n.opType, dtype };
      const found = cudaKernelFor(n.opType, opts.opset, dtype === 'none' ? undefined : dtype, n.domain);
      if (found.kernel) {
        if (found.kernel[4] === null && isFloatNode(n)) report.untyped.push(where);
        continue;
      }
      if (!isFloatNode(n)) {
        report.cpuShapeOps.push(where);
        continue;
      }
      if (n.domain === '' && found.since !== undefined && ONNX_FUNCTIONS[n.opType]?.includes(found.since)) {
        report.expanded.push(where);
        continue;
      }
      const why =
        found.since === undefined
          ? `${n.domain || 'ai.onnx'} op ${n.opType} is not in the ONNX schema table`
          : found.wrongType
            ? `${n.opType}-${found.since} has CUDA kernels for ${found.wrongType.map((k) => k[4]).join(' / ')}, not ${dtype}`
            : `no CUDA kernel covers ${n.opType}-${found.since} (opset ${opts.opset})`;
      report.missing.push({ ...where, why });
    }
  };
  for (const { name, graph } of graphs) visit(graph, name);
  return report;
}
