/**
 * Fan-out, not fan-in: one upstream feed per topic per instance, shared by every subscriber of that
 * topic (1,000 subscribers of `bitcoin` hold one upstream stream). The feed opens with the first
 * subscriber and closes with the last. A feed that drops reconnects with jittered exponential
 * backoff, resuming after the last event it received, and its subscribers see nothing of a blip; a
 * topic whose feed cannot be kept for `downAfterMs` fails its subscribers with `unavailable()`,
 * and an error the upstream calls permanent (a 4xx: the request itself is wrong) fails them at once.
 */

import {
  createSubscriberQueue,
  type SubscriberQueue,
  type SubscriberQueueOptions,
} from './subscriber-queue.js';

/** One subscriber of a topic, as the hub sees it. */
export interface TopicListener<T> {
  next(value: T): void;
  /** The feed is gone for good: the subscriber ends with this error. */
  error(error: unknown): void;
}

/** Hooks for metrics: upstream feeds open and reconnects, by hub name. */
export interface TopicHubObserver {
  feedOpened?(hub: string): void;
  feedClosed?(hub: string): void;
  feedReconnecting?(hub: string): void;
}

export interface TopicHubOptions<T> {
  /** Name of the hub in metrics and logs (`market.prices`). */
  name: string;
  /**
   * Opens the upstream feed of `topic`. `last` is the last event the hub received on that topic
   * (undefined on the first open): a resumable upstream continues after it.
   */
  open(topic: string, last: T | undefined, signal: AbortSignal): AsyncIterable<T>;
  /**
   * Whether the source's circuit breaker is open (its unary calls are failing): no stream is opened
   * then, the attempt counts as a failed one and waits its backoff. @default () => false
   */
  blocked?: () => boolean;
  /** Whether an error is the request's fault, so reconnecting cannot help. @default () => false */
  isPermanent?: (error: unknown) => boolean;
  /** The error subscribers end with when the feed stays down (a catalogue error). */
  unavailable: (cause: unknown) => Error;
  /** The error subscribers end with on a permanent error. @default the error itself */
  refused?: (cause: unknown) => Error;
  /** First reconnect delay; doubles up to `maxBackoffMs`, with full jitter. @default 100 */
  initialBackoffMs?: number;
  /** @default 2000 */
  maxBackoffMs?: number;
  /** How long a feed may fail to deliver anything before its subscribers are told. @default 10000 */
  downAfterMs?: number;
  observer?: TopicHubObserver | undefined;
  /** Receives reconnect causes (a debug log). */
  onFeedError?: (topic: string, error: unknown) => void;
  now?: () => number;
  random?: () => number;
}

export interface TopicHub<T> {
  /** Adds a listener to `topic` (opening its feed if it is the first); returns the leave function. */
  join(topic: string, listener: TopicListener<T>): () => void;
  /**
   * One subscriber of several topics: a queue fed by all of them that leaves them all when it
   * closes (the subscriber returned, failed or ended).
   */
  subscribe(topics: readonly string[], options?: SubscriberQueueOptions<T>): SubscriberQueue<T>;
  /** Topics with an open (or reconnecting) upstream feed. */
  readonly feeds: number;
  /** Closes every feed; listeners get nothing more (their own lifecycle ends them). */
  close(): void;
}

interface Feed<T> {
  readonly listeners: Set<TopicListener<T>>;
  readonly abort: AbortController;
  last: T | undefined;
}

/** Creates a hub over one kind of upstream feed. */
export function createTopicHub<T>({
  name,
  open,
  blocked = () => false,
  isPermanent = () => false,
  unavailable,
  refused = (cause) => cause as Error,
  initialBackoffMs = 100,
  maxBackoffMs = 2000,
  downAfterMs = 10_000,
  observer,
  onFeedError,
  now = Date.now,
  random = Math.random,
}: TopicHubOptions<T>): TopicHub<T> {
  const feeds = new Map<string, Feed<T>>();

  function fail(topic: string, feed: Feed<T>, error: Error): void {
    if (feeds.get(topic) === feed) feeds.delete(topic);
    feed.abort.abort();
    for (const listener of [...feed.listeners]) listener.error(error);
    feed.listeners.clear();
  }

  async function run(topic: string, feed: Feed<T>): Promise<void> {
    const { signal } = feed.abort;
    observer?.feedOpened?.(name);
    let attempt = 0;
    let failingSince: number | null = null;
    try {
      while (!signal.aborted) {
        let cause: unknown = new Error('upstream feed ended');
        try {
          if (blocked()) throw new Error('the source circuit breaker is open');
          for await (const value of open(topic, feed.last, signal)) {
            attempt = 0;
            failingSince = null;
            feed.last = value;
            for (const listener of feed.listeners) listener.next(value);
          }
        } catch (err) {
          if (signal.aborted) return;
          if (isPermanent(err)) {
            fail(topic, feed, refused(err));
            return;
          }
          cause = err;
        }
        if (signal.aborted) return;
        onFeedError?.(topic, cause);
        failingSince ??= now();
        if (now() - failingSince >= downAfterMs) {
          fail(topic, feed, unavailable(cause));
          return;
        }
        observer?.feedReconnecting?.(name);
        const delay = random() * Math.min(maxBackoffMs, initialBackoffMs * 2 ** attempt++);
        await sleep(delay, signal);
      }
    } finally {
      observer?.feedClosed?.(name);
    }
  }

  function join(topic: string, listener: TopicListener<T>): () => void {
    let feed = feeds.get(topic);
    if (!feed) {
      const created: Feed<T> = { listeners: new Set(), abort: new AbortController(), last: undefined };
      feeds.set(topic, created);
      feed = created;
      void run(topic, created);
    }
    const joined = feed;
    joined.listeners.add(listener);
    return () => {
      if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
      if (feeds.get(topic) === joined) feeds.delete(topic);
      joined.abort.abort();
    };
  }

  return {
    join,
    subscribe(topics, options = {}) {
      const leaves: (() => void)[] = [];
      const queue = createSubscriberQueue<T>({
        ...options,
        onClose() {
          for (const leave of leaves) leave();
          options.onClose?.();
        },
      });
      const listener: TopicListener<T> = { next: (value) => queue.push(value), error: (e) => queue.fail(e) };
      for (const topic of new Set(topics)) leaves.push(join(topic, listener));
      return queue;
    },
    get feeds() {
      return feeds.size;
    },
    close() {
      for (const feed of feeds.values()) {
        feed.abort.abort();
        feed.listeners.clear();
      }
      feeds.clear();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
