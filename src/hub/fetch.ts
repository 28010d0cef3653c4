// The fetch that @huggingface/hub's calls go through. It adds what the library lacks for a push
// that must never hang and must stop when the run is cancelled:
// - a stall timeout over the whole request: connecting, sending the body (a file's bytes are
//   counted as the connection takes them), waiting for the answer and reading it;
// - the run's AbortSignal (CancelledError);
// - the Hub token only for the Hub's own origin: storage URLs (presigned S3 PUTs) never see it
//   (other credentials, such as the Xet storage token the Hub hands out, go where they belong).
// A Blob body is sent as a stream with its Content-Length, so its progress can be watched while
// storage still gets the length it requires.
import { CancelledError } from '../util/cancel.js';
import { HubTimeoutError } from './errors.js';

export interface HubFetchOptions {
  /** The Hub's origin (scheme://host:port): the only one `token` may go to. */
  origin: string;
  token?: string;
  /** Longest silence in ms (no byte sent or received); 0 = none. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export function hubFetch(o: HubFetchOptions, base: typeof fetch = fetch): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init.method ?? 'GET';
    // No query in messages: a presigned URL carries its signature there.
    const what = `${method} ${url.origin}${url.pathname}`;
    const headers = new Headers(init.headers);
    if (url.origin !== o.origin && o.token && headers.get('authorization')?.includes(o.token))
      headers.delete('authorization');
    const ctl = new AbortController();
    const watch = stallWatch(ctl, o.timeoutMs, what);
    const cancel = () => ctl.abort(new CancelledError(`cancelled: ${what}`));
    const inner = () => ctl.abort(init.signal?.reason);
    if (o.signal?.aborted) cancel();
    o.signal?.addEventListener('abort', cancel, { once: true });
    init.signal?.addEventListener('abort', inner, { once: true });
    const done = () => {
      watch.disarm();
      o.signal?.removeEventListener('abort', cancel);
      init.signal?.removeEventListener('abort', inner);
    };
    let body = init.body;
    if (body instanceof Blob) {
      headers.set('content-length', String(body.size));
      body = body.stream().pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            watch.arm(); // the connection took the previous chunk: the clock starts again
            c.enqueue(chunk);
          },
        }),
      );
    }
    watch.arm();
    let res: Response;
    try {
      if (ctl.signal.aborted) throw ctl.signal.reason;
      res = await base(url, { ...init, headers, body, signal: ctl.signal, duplex: 'half' } as RequestInit);
    } catch (e) {
      done();
      throw ctl.signal.aborted && ctl.signal.reason instanceof Error ? ctl.signal.reason : e;
    }
    watch.disarm();
    if (!res.body) {
      done();
      return res;
    }
    const reader = res.body.getReader();
    const watched = new ReadableStream<Uint8Array>({
      async pull(c) {
        watch.arm();
        try {
          const r = await reader.read();
          watch.disarm();
          if (r.done) {
            done();
            c.close();
          } else c.enqueue(r.value);
        } catch (e) {
          done();
          c.error(ctl.signal.aborted && ctl.signal.reason instanceof Error ? ctl.signal.reason : e);
        }
      },
      cancel(reason) {
        done();
        return reader.cancel(reason);
      },
    });
    const out = new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers });
    // The library's errors quote the URL that answered.
    Object.defineProperty(out, 'url', { value: res.url });
    return out;
  };
}

/** A timer that aborts `ctl` with HubTimeoutError when it runs out; re-armed on every sign of progress. */
function stallWatch(ctl: AbortController, ms: number, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    arm() {
      disarm();
      if (ms > 0)
        timer = setTimeout(
          () =>
            ctl.abort(
              new HubTimeoutError(
                `no progress for ${ms / 1000} s on ${what}: the Hub or the network stalled. Try again; if the connection is only slow, raise hub_timeout (seconds; 0 waits forever)`,
                'hub_timeout',
              ),
            ),
          ms,
        );
    },
    disarm,
  };
}
