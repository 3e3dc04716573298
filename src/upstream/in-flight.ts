/**
 * In-flight deduplication: concurrent identical reads (same key) share one execution. Each waiter
 * keeps its own AbortSignal: a waiter whose client leaves stops waiting at once, and the shared
 * execution is aborted only when every waiter has left. Nothing is kept once it settles: this is
 * not a cache, a read that starts after the shared one ended makes its own call.
 */

/** Runs executions by key, sharing those already in flight. */
export interface InFlight {
  /**
   * Joins the execution in flight for `key`, or starts one with `start` (which gets the shared
   * signal). The value is shared by every waiter: treat it as immutable.
   */
  run<T>(
    key: string,
    start: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T>;
  /** Executions in flight (tests, debugging). */
  readonly size: number;
}

interface Shared {
  readonly promise: Promise<unknown>;
  readonly controller: AbortController;
  waiters: number;
}

/** Creates a table; `abortError` is what a waiter whose signal aborts is rejected with. */
export function createInFlight(abortError: () => Error): InFlight {
  const table = new Map<string, Shared>();

  function begin(key: string, start: (signal: AbortSignal) => Promise<unknown>): Shared {
    const controller = new AbortController();
    const promise = start(controller.signal);
    const shared: Shared = { promise, controller, waiters: 0 };
    table.set(key, shared);
    const forget = () => {
      if (table.get(key) === shared) table.delete(key);
    };
    // Also handles the rejection when every waiter has left and nobody else listens.
    promise.then(forget, forget);
    return shared;
  }

  return {
    run<T>(key: string, start: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined) {
      if (signal?.aborted) return Promise.reject(abortError());
      const shared = table.get(key) ?? begin(key, start);
      const promise = shared.promise as Promise<T>;
      shared.waiters++;
      // A waiter that cannot leave keeps the execution alive: it simply awaits it.
      if (!signal) return promise;
      return new Promise<T>((resolve, reject) => {
        const leave = () => {
          reject(abortError());
          if (--shared.waiters > 0) return;
          // The last waiter left: nobody wants the answer. A new identical read starts afresh.
          if (table.get(key) === shared) table.delete(key);
          shared.controller.abort(signal.reason);
        };
        signal.addEventListener('abort', leave, { once: true });
        promise.then(
          (value) => {
            signal.removeEventListener('abort', leave);
            resolve(value);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', leave);
            reject(err);
          },
        );
      });
    },
    get size() {
      return table.size;
    },
  };
}
