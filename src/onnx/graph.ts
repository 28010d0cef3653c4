// A typed ONNX graph under construction: values carry dtype and (possibly symbolic) shape,
// so gradients and build-time checks can reason about them before anything runs.
import { type DType, type TypedArray, typedArrayOf } from './dtype.js';
import { GraphBuildError, type Attr, type Shape } from './ir.js';
import { inferOutputs } from './shape-inference.js';
import { numElements } from '../util/shape.js';

export {
  float,
  FloatAttr,
  GraphBuildError,
  isUnknown,
  unknownDim,
  type Attr,
  type Dim,
  type Shape,
  type TensorData,
} from './ir.js';

export class Value {
  /** Values known at build time (small int64/float constants), used by shape inference. */
  constValue?: number[];
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    /** The node that makes it (absent for inputs and initializers); Graph.rewrite moves it to a new node. */
    public producer?: Node,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

export class Node {
  outputs: Value[] = [];
  constructor(
    readonly graph: Graph,
    readonly opType: string,
    readonly name: string,
    readonly inputs: (Value | null)[],
    readonly attrs: Record<string, Attr>,
    readonly domain = '',
  ) {}
}

export interface NodeOptions {
  name?: string;
  domain?: string;
  /** Number of outputs (default: what shape inference returns, usually 1). */
  outputs?: number;
  /** Output names to use instead of generated ones. */
  outputNames?: string[];
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly outputs: { value: Value; name: string }[] = [];
  readonly nodes: Node[] = [];
  readonly initializers: { value: Value; data: TypedArray }[] = [];
  private readonly names: Set<string>;
  private readonly counters = new Map<string, number>();
  private readonly constCache = new Map<string, Value>();
  /** Values this graph defines (inputs, initializers, node outputs): anything else is unknown here. */
  private readonly defined = new Set<Value>();

  constructor(
    readonly name = 'graph',
    readonly parent?: Graph,
  ) {
    this.names = parent ? parent.names : new Set();
  }

  /** A name not used anywhere in this graph or its parents/subgraphs. */
  uniqueName(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n);
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new GraphBuildError(`graph '${this.name}': the name '${name}' is already used`);
    this.names.add(name);
    return name;
  }

  /** True when `v` may be read here: it belongs to this graph or an enclosing one (outer scope). */
  canRead(v: Value): boolean {
    if (v.graph === this) return true;
    return this.parent ? this.parent.canRead(v) : false;
  }

  /** True when `v` is an input, initializer or node output of this graph. */
  defines(v: Value): boolean {
    return this.defined.has(v);
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    const v = new Value(this, this.claim(name), dtype, shape);
    this.inputs.push(v);
    this.defined.add(v);
    return v;
  }

  initializer(name: string, dtype: DType, shape: number[], data: TypedArray): Value {
    const size = numElements(shape);
    if (data.length !== size) {
      throw new GraphBuildError(`initializer '${name}': shape [${shape}] needs ${size} values, got ${data.length}`);
    }
    const v = new Value(this, this.claim(name), dtype, shape);
    this.initializers.push({ value: v, data });
    this.defined.add(v);
    return v;
  }

  /** A constant (a Constant node, so it works in subgraphs too); small ones are shared. */
  constant(dtype: DType, values: number[] | TypedArray, shape?: number[]): Value {
    const dims = shape ?? [values.length];
    const small = values.length <= 64;
    const key = small ? `${dtype}|${dims.join(',')}|${Array.from(values as ArrayLike<number>).join(',')}` : '';
    if (small && this.constCache.has(key)) return this.constCache.get(key)!;
    const data = ArrayBuffer.isView(values) ? (values as TypedArray) : typedArrayOf(dtype, values as number[]);
    const [v] = this.node('Constant', [], { value: { dtype, shape: dims, data } }, { name: this.uniqueName('const') });
    if (small) {
      v.constValue = Array.from(values as ArrayLike<number | bigint>, Number);
      this.constCache.set(key, v);
    }
    return v;
  }

  /** A scalar constant with the dtype of `like`. */
  scalar(value: number, like: Value | DType): Value {
    return this.constant(typeof like === 'string' ? like : like.dtype, [value], []);
  }

  /** int64 1-D constant, the form ONNX wants for shapes, axes and indices. */
  ints(values: number[]): Value {
    return this.constant('int64', values, [values.length]);
  }

  node(
    opType: string,
    inputs: (Value | null | undefined)[],
    attrs: Record<string, Attr> = {},
    opts: NodeOptions = {},
  ): Value[] {
    const name = opts.name ?? this.uniqueName(opType);
    const ins = inputs.map((v) => v ?? null);
    ins.forEach((v, i) => {
      if (v && !this.canRead(v)) {
        throw new GraphBuildError(
          `node '${name}' (${opType}): input ${i} '${v.name}' belongs to graph '${v.graph.name}', not to '${this.name}' or an enclosing graph`,
        );
      }
      if (v && !v.graph.defines(v)) {
        throw new GraphBuildError(
          `node '${name}' (${opType}): input ${i} '${v.name}' is unknown: it is not an input, initializer or node output of graph '${v.graph.name}' (create values with g.input/g.initializer/g.op)`,
        );
      }
    });
    const node = new Node(this, opType, name, ins, attrs, opts.domain ?? '');
    let infos;
    try {
      infos = inferOutputs(node, opts.outputs);
    } catch (e) {
      if (e instanceof GraphBuildError) throw e;
      throw new GraphBuildError(`node '${name}' (${opType}): ${(e as Error).message}`);
    }
    const count = opts.outputs ?? infos.length;
    for (let i = 0; i < count; i++) {
      const info = infos[i];
      if (!info) throw new GraphBuildError(`node '${name}' (${opType}): output ${i} cannot be inferred`);
      const outName = opts.outputNames?.[i] ? this.claim(opts.outputNames[i]) : this.uniqueName(`${name}_out${i}`);
      const out = new Value(this, outName, info.dtype, info.shape, node);
      this.defined.add(out);
      node.outputs.push(out);
    }
    this.nodes.push(node);
    return node.outputs;
  }

  /** One-output shorthand for `node`. */
  op(
    opType: string,
    inputs: (Value | null | undefined)[],
    attrs: Record<string, Attr> = {},
    opts: NodeOptions = {},
  ): Value {
    return this.node(opType, inputs, attrs, opts)[0];
  }

  /**
   * Replaces `node` with the nodes `build` emits into this graph, at the node's place. `build`
   * returns one value per output of `node`, of the same dtype. The old output values live on as
   * outputs of the new nodes that make them, so every reader, graph output and reference held
   * elsewhere (a loss returned to the step builder) stays valid, and autodiff can run afterwards.
   * The caller restores topological order when a build read a constant made later in the graph
   * (sortNodes).
   */
  rewrite(node: Node, build: () => Value[]): void {
    const at = this.nodes.indexOf(node);
    if (at < 0) throw new GraphBuildError(`rewrite: node '${node.name}' is not in graph '${this.name}'`);
    const start = this.nodes.length;
    const made = build();
    if (made.length !== node.outputs.length)
      throw new GraphBuildError(
        `rewrite of '${node.name}' (${node.opType}): ${made.length} replacement(s) for ${node.outputs.length} output(s)`,
      );
    const fresh = () => new Set(this.nodes.slice(start));
    const moved = new Set<Value>();
    node.outputs.forEach((old, i) => {
      let v = made[i];
      if (v.dtype !== old.dtype)
        throw new GraphBuildError(
          `rewrite of '${node.name}' (${node.opType}): output ${i} became ${v.dtype}, was ${old.dtype}`,
        );
      // A value the rewrite did not make (an input passed on), or one already moved: an Identity makes it.
      if (!v.producer || !fresh().has(v.producer) || moved.has(v)) v = this.op('Identity', [v]);
      moved.add(v);
      const p = v.producer!;
      p.outputs[p.outputs.indexOf(v)] = old;
      old.producer = p;
      for (const n of fresh()) n.inputs.forEach((x, j) => x === v && (n.inputs[j] = old));
    });
    const added = this.nodes.splice(start);
    this.nodes.splice(at, 1, ...added);
  }

  /**
   * Puts the nodes in topological order again (stable: nodes already in order keep it), counting
   * the outer values a subgraph reads as inputs of the node that holds it. A no-op when in order.
   */
  sortNodes(): void {
    const deps = new Map<Node, Node[]>();
    const mine = new Set(this.nodes);
    for (const n of this.nodes) {
      const reads = [...n.inputs, ...outerReads(n)];
      deps.set(
        n,
        reads.flatMap((v) => (v?.producer && mine.has(v.producer) ? [v.producer] : [])),
      );
    }
    const placed = new Set<Node>();
    const ordered = this.nodes.every((n) => {
      const ok = deps.get(n)!.every((d) => placed.has(d));
      placed.add(n);
      return ok;
    });
    if (ordered) return;
    placed.clear();
    const out: Node[] = [];
    const visit = (n: Node, path: Set<Node>) => {
      if (placed.has(n)) return;
      if (path.has(n)) throw new GraphBuildError(`graph '${this.name}': node '${n.name}' depends on itself`);
      path.add(n);
      for (const d of deps.get(n)!) visit(d, path);
      path.delete(n);
      placed.add(n);
      out.push(n);
    };
    for (const n of this.nodes) visit(n, new Set());
    this.nodes.splice(0, this.nodes.length, ...out);
  }

  /** Marks `value` as a graph output named `name` (an Identity is added when names differ). */
  output(value: Value, name?: string): Value {
    let v = value;
    if (name && name !== value.name) v = this.op('Identity', [value], {}, { outputNames: [name] });
    if (!this.canRead(v))
      throw new GraphBuildError(`output '${name ?? v.name}' is not readable in graph '${this.name}'`);
    this.outputs.push({ value: v, name: v.name });
    return v;
  }
}

/** Values of enclosing graphs that the subgraphs of `n` (Scan/Loop bodies) read. */
function outerReads(n: Node): Value[] {
  const out: Value[] = [];
  const walk = (body: Graph) => {
    for (const m of body.nodes) {
      for (const v of m.inputs) if (v && v.graph !== body && !isInside(v.graph, body)) out.push(v);
      for (const a of Object.values(m.attrs)) if (a instanceof Graph) walk(a);
    }
  };
  for (const a of Object.values(n.attrs)) if (a instanceof Graph) walk(a);
  return out;
}

/** True when `g` is `body` or a subgraph nested in it. */
function isInside(g: Graph, body: Graph): boolean {
  for (let p: Graph | undefined = g; p; p = p.parent) if (p === body) return true;
  return false;
}

/**
 * torch's `.detach()`: an Identity node named `StopGradient` (or `StopGradient_<n>`, as
 * g.uniqueName makes it) passes its value on but no gradient back (src/autodiff/backward.ts skips
 * it). The marker is the node name because ONNX has no such op and ORT rejects attributes Identity
 * does not define.
 */
export const STOP_GRADIENT = 'StopGradient';

/** `x`'s value with no gradient path back through it. */
export function stopGradient(g: Graph, x: Value): Value {
  return g.op('Identity', [x], {}, { name: g.uniqueName(STOP_GRADIENT) });
}

export function isStopGradient(n: Node): boolean {
  return n.opType === 'Identity' && (n.name === STOP_GRADIENT || n.name.startsWith(`${STOP_GRADIENT}_`));
}

/** A subgraph (Loop/If body) whose nodes may read values of `parent`. */
export function subgraph(parent: Graph, name: string): Graph {
  return new Graph(name, parent);
}
