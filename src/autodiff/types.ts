// The contract between the autodiff driver and the per-op gradient files.
import type { Graph, Node, Value } from '../onnx/graph.js';

export interface GradContext {
  /** Graph that receives the gradient nodes (the forward node's graph). */
  readonly g: Graph;
  readonly node: Node;
  /** Forward input i (null for an omitted optional input). */
  x(i: number): Value;
  /** Forward output i. */
  y(i: number): Value;
  /** Incoming gradient of output i, or undefined when that output does not reach the loss. */
  dy(i: number): Value | undefined;
  /** Whether input i needs a gradient (it depends on a parameter and is floating point). */
  needs(i: number): boolean;
  /** Integer attribute with a default. */
  int(name: string, dflt: number): number;
  /** Any attribute. */
  attr<T>(name: string): T | undefined;
}

/** Gradients w.r.t. each forward input; undefined/null where none is needed or defined. */
export type GradientFn = (ctx: GradContext) => (Value | undefined | null)[];

export interface GradientSpec {
  op: string;
  grad: GradientFn;
}
