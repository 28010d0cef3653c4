// Reverse-mode autodiff over a built Graph: walks the nodes between the parameters and the loss
// backwards and asks each op's gradient file for the input gradients.
import { isFloat, typedArrayOf } from '../onnx/dtype.js';
import {
  type Dim,
  type Graph,
  GraphBuildError,
  isStopGradient,
  isUnknown,
  type Node,
  type Value,
} from '../onnx/graph.js';
import { accumulate, shapeOf } from './helpers.js';
import { GRADIENTS } from './gradients/index.js';
import type { GradContext } from './types.js';

export interface GradientOptions {
  /** Gradient of the loss itself (default: ones shaped like the loss, i.e. d sum(loss)). */
  seed?: Value;
}

/** Emits d loss / d p for every p in `wrt` into the loss's graph; returns them in order. */
export function gradients(loss: Value, wrt: Value[], opts: GradientOptions = {}): Value[] {
  const g = loss.graph;
  const nodes = nodesOf(g);
  // Values that depend on some parameter (forward sweep).
  const live = new Set<Value>(wrt);
  for (const n of nodes) {
    if (isStopGradient(n)) continue;
    if (n.inputs.some((v) => v && live.has(v)))
      n.outputs.forEach((o) => {
        if (isFloat(o.dtype)) live.add(o);
      });
  }
  if (!live.has(loss))
    throw new GraphBuildError(`gradients: the loss '${loss.name}' does not depend on any of the parameters`);

  const contributions = new Map<Value, Value[]>();
  const add = (v: Value, d: Value) => {
    const list = contributions.get(v);
    if (list) list.push(d);
    else contributions.set(v, [d]);
  };
  add(loss, opts.seed ?? (loss.rank === 0 ? g.scalar(1, loss) : onesLike(g, loss)));
  const total = (v: Value): Value | undefined => {
    const parts = contributions.get(v);
    if (!parts) return undefined;
    if (parts.length > 1) {
      const sum = accumulate(g, parts);
      contributions.set(v, [sum]);
      return sum;
    }
    return parts[0];
  };

  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.outputs.some((o) => contributions.has(o))) continue;
    const needs = (i: number) => {
      const v = node.inputs[i];
      return !!v && live.has(v) && isFloat(v.dtype);
    };
    if (!node.inputs.some((_, i) => needs(i))) continue;
    const spec = GRADIENTS.get(node.opType);
    if (!spec) {
      throw new GraphBuildError(
        `gradients: no gradient for op '${node.opType}' (node '${node.name}'); add a GradientSpec for it in src/autodiff/gradients/ (a new <op>_grad.ts, or the file of its op family) and list it in src/autodiff/gradients/index.ts (see CONTRIBUTING.md)`,
      );
    }
    const ctx = contextFor(g, node, total, needs);
    let grads;
    try {
      grads = spec.grad(ctx);
    } catch (e) {
      // Gradient files report unsupported forms with plain Errors naming the node; type them here.
      if (e instanceof GraphBuildError) throw e;
      throw new GraphBuildError(`gradients: ${(e as Error).message}`);
    }
    node.inputs.forEach((v, i) => {
      const d = grads[i];
      if (v && d && needs(i)) {
        const clash = d.shape.findIndex(
          (e, j) => typeof e === 'number' && typeof v.shape[j] === 'number' && e !== v.shape[j],
        );
        if (d.rank !== v.rank || clash >= 0 || d.dtype !== v.dtype) {
          throw new GraphBuildError(
            `gradients: op '${node.opType}' (node '${node.name}') returned a gradient ${d.dtype}[${d.shape}] for input '${v.name}' ${v.dtype}[${v.shape}]`,
          );
        }
        // A gradient has its input's shape: restore symbols that run-time reshapes lost, so later
        // broadcast reductions stay static instead of Shape/NonZero chains at run time.
        d.shape.forEach((e, j) => {
          if (isUnknown(e) && !isUnknown(v.shape[j])) (d.shape as Dim[])[j] = v.shape[j];
        });
        add(v, d);
      }
    });
  }
  return wrt.map((p) => {
    const d = total(p);
    if (!d) throw new GraphBuildError(`gradients: parameter '${p.name}' does not reach the loss '${loss.name}'`);
    return d;
  });
}

// torch's `.detach()` (onnx/graph.ts): the model families use it for nn.Embedding's padding_idx
// (the pad row gets no gradient, its value is still read) and the stable log-softmax's row max.
export { isStopGradient, STOP_GRADIENT, stopGradient } from '../onnx/graph.js';

function onesLike(g: Graph, v: Value): Value {
  return g.op('ConstantOfShape', [shapeOf(g, v)], {
    value: { dtype: v.dtype, shape: [1], data: typedArrayOf(v.dtype, [1]) },
  });
}

function nodesOf(g: Graph): Node[] {
  // Nodes are appended in build order, which is a topological order; copy it, because the
  // gradient nodes are appended to the same list while we walk it.
  return g.nodes.slice();
}

function contextFor(
  g: Graph,
  node: Node,
  total: (v: Value) => Value | undefined,
  needs: (i: number) => boolean,
): GradContext {
  return {
    g,
    node,
    x: (i) => {
      const v = node.inputs[i];
      if (!v) throw new GraphBuildError(`gradient of '${node.name}': input ${i} is absent`);
      return v;
    },
    y: (i) => node.outputs[i],
    dy: (i) => (node.outputs[i] ? total(node.outputs[i]) : undefined),
    needs,
    int: (name, dflt) => (node.attrs[name] === undefined ? dflt : Number(node.attrs[name])),
    attr: <T>(name: string) => node.attrs[name] as T | undefined,
  };
}
