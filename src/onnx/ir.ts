// The ONNX graph's data model: dimensions, shapes, attributes, and the read-only views of values,
// nodes and graphs that shape inference and serialisation work on. graph.ts builds graphs out of
// these; keeping them here lets shape inference run without importing the builder.
import type { DType, TypedArray } from './dtype.js';

/** A dimension: a size, or a symbol (equal symbols are equal sizes; `?N` symbols are unknown). */
export type Dim = number | string;
export type Shape = Dim[];

/** Forces a FLOAT attribute where a plain JS number would be read as INT. */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const float = (v: number) => new FloatAttr(v);
export interface TensorData {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}
export type Attr = number | FloatAttr | string | number[] | string[] | GraphView | TensorData;

export class GraphBuildError extends Error {
  override name = 'GraphBuildError';
}

/** What a value is, for inference: name, dtype, shape, and its constant content when known. */
export interface ValueView {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly rank: number;
  constValue?: number[];
}

export interface NodeView {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly (ValueView | null)[];
  readonly attrs: Record<string, Attr>;
}

/** A (sub)graph as an attribute sees it (Loop bodies). */
export interface GraphView {
  readonly name: string;
  readonly inputs: readonly ValueView[];
  readonly outputs: readonly { value: ValueView; name: string }[];
}

let unknownCounter = 0;
/** A fresh symbol for a dimension nobody can know at build time. */
export function unknownDim(): string {
  return `?${++unknownCounter}`;
}
export function isUnknown(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('?');
}
