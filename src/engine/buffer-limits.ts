// A device's buffer limit (WebGPU: the adapter's maxStorageBufferBindingSize / maxBufferSize) bounds
// every tensor a graph makes there. The state layout fits the parameters and optimizer state to it
// (state-layout.ts: split groups, row shards); what scales with the batch, the activations and
// their gradients, is checked here on the built graph with the run's largest shapes (batch size,
// max length), so a run that cannot fit fails before it reads data, naming the tensor, its size,
// the limit and what to change, instead of deep inside ONNX Runtime.
import type { Dim, Graph, Value } from '../onnx/graph.js';
import { BYTES_PER_ELEMENT } from '../onnx/dtype.js';

export class BufferLimitError extends Error {
  override name = 'BufferLimitError';
  constructor(
    message: string,
    readonly detail: { tensor: string; bytes: number; limit: number },
  ) {
    super(message);
  }
}

/** "136.7 MiB (143,360,000 bytes)" */
export function formatBytes(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB (${n.toLocaleString('en-US')} bytes)`;
}

export interface TensorBounds {
  /** The largest value of each symbolic dim (e.g. batch: batch_size, seq: max_length). */
  dims: Record<string, number>;
  /** How to get a smaller tensor, said after the numbers (e.g. "lower --batch_size or --max_length"). */
  fix: string;
}

/** A symbolic dim's largest size: a symbol, or a product of symbols "(batch*seq)"; undefined when unknown. */
export function boundOf(d: Dim, dims: Record<string, number>): number | undefined {
  if (typeof d === 'number') return d;
  if (!/^[\w()*]+$/.test(d)) return undefined;
  let n = 1;
  for (const sym of d.split(/[()*]+/).filter(Boolean)) {
    const v = /^\d+$/.test(sym) ? Number(sym) : dims[sym];
    if (v === undefined) return undefined;
    n *= v;
  }
  return n;
}

/**
 * Throws BufferLimitError for the largest tensor of `graph` (subgraphs included) whose size at
 * `bounds` exceeds `maxBytes`. Tensors whose size cannot be bounded (run-time counts such as
 * dropout's draws, which are smaller than the tensor they drop) are skipped.
 */
export function checkTensorSizes(
  graph: Graph,
  limit: { maxBytes: number; source?: string },
  bounds: TensorBounds,
  what = 'the training step',
): void {
  let worst: { v: Value; bytes: number; sizes: number[]; op: string } | undefined;
  const visit = (v: Value, op: string) => {
    const sizes = v.shape.map((d) => boundOf(d, bounds.dims));
    if (sizes.some((s) => s === undefined)) return;
    const bytes = (sizes as number[]).reduce((a, b) => a * b, BYTES_PER_ELEMENT[v.dtype]);
    if (bytes > limit.maxBytes && (!worst || bytes > worst.bytes)) worst = { v, bytes, sizes: sizes as number[], op };
  };
  const walk = (g: Graph) => {
    for (const v of g.inputs) visit(v, 'input');
    for (const n of g.nodes) {
      for (const o of n.outputs) visit(o, `${n.opType} output`);
      for (const a of Object.values(n.attrs)) if (isGraph(a)) walk(a);
    }
  };
  walk(graph);
  if (!worst) return;
  const { v, bytes, sizes, op } = worst;
  const at = Object.entries(bounds.dims)
    .filter(([k]) => v.shape.some((d) => typeof d === 'string' && d.split(/[()*]+/).includes(k)))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  throw new BufferLimitError(
    `${what} makes a tensor of ${formatBytes(bytes)} (${v.dtype} [${v.shape.join(', ')}] = [${sizes.join(', ')}]${at ? ` at ${at}` : ''}, ${op} '${v.name}'), over the device's buffer limit of ${formatBytes(limit.maxBytes)} (${limit.source ?? 'the device'}); ${bounds.fix}`,
    { tensor: v.name, bytes, limit: limit.maxBytes },
  );
}

const isGraph = (a: unknown): a is Graph =>
  typeof a === 'object' && a !== null && 'nodes' in a && Array.isArray((a as Graph).nodes);
