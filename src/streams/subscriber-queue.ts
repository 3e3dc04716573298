/**
 * The buffer between one upstream feed and one subscriber. Delivery is pull-based end to end (the
 * SSE response and the WebSocket pull the next event only once the previous one is written), so
 * this queue is the only place where events wait for a slow consumer, and it is bounded:
 *
 * - conflating (`keyOf` given: price and signal feeds): the latest value per key wins, so the queue
 *   never holds more than one event per key; a replaced value counts as conflated;
 * - strict (no `keyOf`: order events): nothing is dropped; past `capacity` waiting events the
 *   subscriber is failed with the error `overflow()` builds (it resumes from its cursor).
 */

export interface SubscriberQueueOptions<T> {
  /** Conflation key (the token id): a newer event with the same key replaces the waiting one. */
  keyOf?: ((value: T) => string) | undefined;
  /** Most events waiting; a strict queue over it fails with `overflow()`. @default 1000 */
  capacity?: number;
  /** The error a strict queue ends with when its consumer falls `capacity` events behind. */
  overflow?: () => Error;
  /** Called for each waiting event replaced by a newer one (metrics). */
  onConflated?: () => void;
  /** Called once when the queue ends for any reason (the consumer returned, failed, or ended). */
  onClose?: () => void;
}

/** An async iterator the feed pushes into and the subscriber pulls from. */
export interface SubscriberQueue<T> extends AsyncIterableIterator<T> {
  /** Queues one event; ignored once closed. */
  push(value: T): void;
  /** Ends the subscriber with `error` after nothing else: waiting events are dropped. */
  fail(error: unknown): void;
  /** Ends the subscriber once the waiting events are delivered. */
  end(): void;
  /** Events waiting to be pulled. */
  readonly size: number;
  readonly closed: boolean;
}

/** Creates a subscriber queue (see the module comment for the two kinds). */
export function createSubscriberQueue<T>({
  keyOf,
  capacity = 1000,
  overflow = () => new Error('subscriber queue overflow'),
  onConflated,
  onClose,
}: SubscriberQueueOptions<T> = {}): SubscriberQueue<T> {
  // Conflating: Map insertion order is delivery order; a replaced key keeps its place.
  const latest = new Map<string, T>();
  const fifo: T[] = [];
  let head = 0;
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let rejectWaiting: ((error: unknown) => void) | null = null;
  let failure: { error: unknown } | null = null;
  let ending = false;
  let closed = false;

  const size = () => (keyOf ? latest.size : fifo.length - head);

  function close(): void {
    if (closed) return;
    closed = true;
    latest.clear();
    fifo.length = 0;
    head = 0;
    onClose?.();
  }

  function take(): T | undefined {
    if (keyOf) {
      const first = latest.entries().next();
      if (first.done) return undefined;
      latest.delete(first.value[0]);
      return first.value[1];
    }
    if (head === fifo.length) return undefined;
    const value = fifo[head]!;
    fifo[head++] = undefined as T;
    // Compact now and then so a long-lived queue does not keep a growing array.
    if (head > 1024 && head * 2 > fifo.length) {
      fifo.splice(0, head);
      head = 0;
    }
    return value;
  }

  const queue: SubscriberQueue<T> = {
    get size() {
      return size();
    },
    get closed() {
      return closed;
    },
    push(value) {
      if (closed || ending || failure) return;
      if (waiting) {
        const resolve = waiting;
        waiting = rejectWaiting = null;
        resolve({ value, done: false });
        return;
      }
      if (keyOf) {
        const key = keyOf(value);
        if (latest.has(key)) onConflated?.();
        latest.set(key, value);
        return;
      }
      if (size() >= capacity) {
        queue.fail(overflow());
        return;
      }
      fifo.push(value);
    },
    fail(error) {
      if (closed || failure) return;
      failure = { error };
      latest.clear();
      fifo.length = 0;
      head = 0;
      if (rejectWaiting) {
        const reject = rejectWaiting;
        waiting = rejectWaiting = null;
        close();
        reject(error);
      }
    },
    end() {
      if (closed) return;
      ending = true;
      if (waiting && size() === 0) {
        const resolve = waiting;
        waiting = rejectWaiting = null;
        close();
        resolve({ value: undefined, done: true });
      }
    },
    next() {
      if (closed) return Promise.resolve({ value: undefined, done: true });
      if (failure) {
        close();
        return Promise.reject(failure.error);
      }
      const value = take();
      if (value !== undefined) return Promise.resolve({ value, done: false });
      if (ending) {
        close();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = resolve;
        rejectWaiting = reject;
      });
    },
    return() {
      if (waiting) {
        const resolve = waiting;
        waiting = rejectWaiting = null;
        resolve({ value: undefined, done: true });
      }
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
