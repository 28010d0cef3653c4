// Cancellation (Ctrl-C, SIGTERM, a cancelled workflow) reaching code that cannot stop "after the
// current step": a download, a wait for a lock. Hosts tell it from a failure (exit 130, not 1).

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** Throws CancelledError when `signal` has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(`cancelled ${what}`);
}

/** Waits `ms`, or rejects with CancelledError as soon as `signal` fires. */
export function cancellableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(`cancelled ${what}`));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError(`cancelled ${what}`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
