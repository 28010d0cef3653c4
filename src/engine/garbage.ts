// onnxruntime-node hands every fetched output back as a fresh copy, so each run leaves a state-sized
// set of arrays nobody needs (the copies of outputs written into the fed tensors, or the previous
// state when a run's copies are kept). V8 frees them at its next collection, which with little
// JavaScript allocation between runs can come several runs later: peak memory would grow by whole
// copies of the state. Detaching them frees them at once where ArrayBuffer.prototype.transfer
// exists (Node >= 21); elsewhere one full collection right after the caller lets go of them (tens
// of milliseconds, once per run of seconds) does it.
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | null | undefined;

function fullCollection(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

type Transferable = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };

/**
 * Frees the memory of `arrays`, which must not be used afterwards: now where they can be detached,
 * else by a collection once the current task is done (the caller must drop its references to
 * them by then, as returning from a function does for its locals).
 */
export function discard(arrays: readonly ArrayBufferView[]): void {
  let rest = false;
  for (const a of arrays) {
    const buffer = a.buffer as Transferable;
    if (typeof buffer.transfer === 'function' && buffer.byteLength > 0) buffer.transfer(0);
    else rest = true;
  }
  if (rest) setImmediate(fullCollection);
}
