// Checks micro-batches against the model's batch inputs and stacks K*A of them into the [K, A, ...]
// tensors the step graph takes. Everything a caller can get wrong is caught here, with the input's
// name, before ORT sees it (ORT's own messages name graph internals).
import type { DType, TypedArray } from '../onnx/dtype.js';
import type { BatchInputSpec } from './contract.js';
import { numElements } from '../util/shape.js';

export interface FeedTensor {
  data: TypedArray;
  dims: readonly number[];
}
/** One micro-batch: batch input name -> tensor (micro-batch shape, e.g. [batch, seq]). */
export type MicroBatch = Record<string, FeedTensor>;

export class FeedError extends Error {
  override name = 'FeedError';
}

const ARRAY_OF: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  float16: 'Uint16Array',
  bfloat16: 'Uint16Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  bool: 'Uint8Array',
  uint8: 'Uint8Array',
};

/** Validates one micro-batch; returns the sizes bound to symbolic dims (e.g. batch=16, seq=128). */
export function checkMicroBatch(
  specs: readonly BatchInputSpec[],
  batch: MicroBatch,
  where: string,
): Map<string, number> {
  const names = specs.map((s) => s.name);
  for (const key of Object.keys(batch)) {
    if (!names.includes(key))
      throw new FeedError(`${where}: unknown input '${key}'; the model takes ${names.join(', ')}`);
  }
  const bound = new Map<string, { size: number; by: string }>();
  for (const spec of specs) {
    const t = batch[spec.name];
    if (!t) throw new FeedError(`${where}: input '${spec.name}' is missing; the model takes ${names.join(', ')}`);
    const arrayName = ARRAY_OF[spec.dtype];
    if (t.data?.constructor?.name !== arrayName) {
      throw new FeedError(
        `${where}: input '${spec.name}' must be ${spec.dtype} (${arrayName}), got ${t.data?.constructor?.name ?? typeof t.data}`,
      );
    }
    if (t.dims.length !== spec.shape.length) {
      throw new FeedError(
        `${where}: input '${spec.name}' must have rank ${spec.shape.length} [${spec.shape.join(', ')}], got dims [${t.dims.join(', ')}]`,
      );
    }
    if (t.dims.some((d) => !Number.isInteger(d) || d < 0))
      throw new FeedError(`${where}: input '${spec.name}' has invalid dims [${t.dims.join(', ')}]`);
    if (t.data.length !== numElements(t.dims)) {
      throw new FeedError(
        `${where}: input '${spec.name}' has ${t.data.length} values but dims [${t.dims.join(', ')}] need ${numElements(t.dims)}`,
      );
    }
    spec.shape.forEach((d, i) => {
      const got = t.dims[i];
      if (typeof d === 'number') {
        if (got !== d) throw new FeedError(`${where}: input '${spec.name}' dimension ${i} must be ${d}, got ${got}`);
        return;
      }
      const prev = bound.get(d);
      if (prev && prev.size !== got) {
        throw new FeedError(
          `${where}: input '${spec.name}' has ${d}=${got} (dimension ${i}) but '${prev.by}' has ${d}=${prev.size}; all inputs of a batch must agree`,
        );
      }
      if (!prev) bound.set(d, { size: got, by: spec.name });
    });
  }
  return new Map([...bound].map(([k, v]) => [k, v.size]));
}

/**
 * Stacks `batches` (K*A micro-batches, step-major) into one [K, A, ...] tensor per input.
 * All micro-batches of one run must have equal shapes (pad them to a common length first).
 */
export function stackBatches(
  specs: readonly BatchInputSpec[],
  batches: readonly MicroBatch[],
  K: number,
  A: number,
): Map<string, FeedTensor> {
  if (batches.length !== K * A) {
    throw new FeedError(
      `got ${batches.length} micro-batches for ${K} step(s) with accumulate_grad_batches=${A}; pass K*A = ${K * A} (one lr per step)`,
    );
  }
  batches.forEach((b, i) => checkMicroBatch(specs, b, `batch ${i}`));
  const out = new Map<string, FeedTensor>();
  for (const spec of specs) {
    const first = batches[0][spec.name];
    batches.forEach((b, i) => {
      const dims = b[spec.name].dims;
      if (dims.some((d, j) => d !== first.dims[j])) {
        throw new FeedError(
          `batch ${i}: input '${spec.name}' is [${dims.join(', ')}] but batch 0 is [${first.dims.join(', ')}]; the batches of one run must have equal shapes (pad them to a common length, or run fewer steps)`,
        );
      }
    });
    if (batches.length === 1) {
      // one micro-batch: a new shape over the same data, no copy
      out.set(spec.name, { data: first.data, dims: [K, A, ...first.dims] });
      continue;
    }
    const n = first.data.length;
    const Ctor = first.data.constructor as new (len: number) => TypedArray;
    const data = new Ctor(n * batches.length);
    batches.forEach((b, i) =>
      (data as unknown as { set(a: TypedArray, o: number): void }).set(b[spec.name].data, i * n),
    );
    out.set(spec.name, { data, dims: [K, A, ...first.dims] });
  }
  return out;
}
