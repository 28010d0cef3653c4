// Cancellation, in one place for both hosts: SIGINT/SIGTERM (Ctrl-C, a cancelled workflow) become
// an AbortSignal. Training stops after the current step and saves checkpoints/interrupted; code
// that cannot wait for a step (a download, a wait for a lock) ends at once with CancelledError,
// which hosts tell from a failure (exit 130, not 1). A second signal: the CLI quits at once (the
// user pressed Ctrl-C again); the action goes on saving and uploading, because the runner sends
// SIGINT and then SIGTERM for one cancel.
import type { Host } from './host.js';

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

const SAY: Record<Host, { first: (sig: string) => string; again?: (sig: string) => string }> = {
  cli: {
    first: (sig) =>
      `${sig}: stopping: a download or wait ends now, training after the current step with a checkpoint (press again to quit at once)`,
  },
  action: {
    first: (sig) => `${sig}: stopping after the current step; the checkpoint will be saved and uploaded`,
    again: (sig) => `${sig} again: still saving and uploading the checkpoint`,
  },
};

export interface SignalCancel {
  signal: AbortSignal;
  /** Removes the handlers (the process's default for the signals is back). */
  dispose(): void;
}

/** SIGINT and SIGTERM -> an AbortSignal, as `host` treats them (see the header). */
export function cancelOnSignals(
  host: Host,
  warn: (message: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
): SignalCancel {
  const controller = new AbortController();
  const say = SAY[host];
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      if (!say.again) return exit(130);
      return warn(say.again(sig));
    }
    warn(say.first(sig));
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
