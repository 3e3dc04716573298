/**
 * Live order events of an account, resumable from a cursor with nothing lost.
 *
 * One upstream stream per account per instance (a topic hub) opens at the service's head and keeps
 * the account's recent events in a ring; it resumes after the last sequence it saw when it drops,
 * so the ring has no gap. A subscriber:
 * - without `after` gets the events from the moment it subscribed;
 * - with an `after` the ring still covers gets the ring's events after it, then the live ones;
 * - with an older `after` (a reconnect to another instance, or after a restart) reads the upstream's
 *   replay on a stream of its own until the replay reaches what the ring covers, then continues on
 *   the shared stream.
 * The cursor is the event's sequence; every delivery is deduplicated by it. Order events are never
 * dropped: a subscriber more than `capacity` events behind ends with SLOW_CONSUMER and resumes.
 */
import { gatewayError } from '../../src/errors.js';
import type { StreamObserver } from '../../src/gateway/source.js';
import { createSubscriberQueue, type SubscriberQueue } from '../../src/streams/subscriber-queue.js';
import { createTopicHub } from '../../src/streams/topic-hub.js';
import { isClientFault } from '../../src/upstream/error-class.js';
import { isUpstreamError } from '../../src/upstream/errors.js';
import type { TradingClient } from './client.js';
import type { Order, OrderEvent } from './messages.js';

/** One event as subscribers receive it. */
export interface OrderUpdate {
  /** The event's sequence: pass the last one received as `after` to resume. */
  readonly cursor: string;
  readonly order: Order;
}

export interface OrderEventFeedOptions {
  observer?: StreamObserver | undefined;
  /** Whether the trading breaker is open: no stream is attempted meanwhile. */
  blocked?: () => boolean;
  /** Events a subscriber may fall behind before it ends with SLOW_CONSUMER. @default 1000 */
  capacity?: number;
  /** Recent events kept per account for resuming subscribers. @default 1024 */
  retain?: number;
}

export interface OrderEventFeed {
  /** Events of `accountId` (authorised by the caller) after `after` (null: from now on). */
  subscribe(accountId: string, after: bigint | null): SubscriberQueue<OrderUpdate>;
  close(): void;
}

interface Subscriber {
  /** Receives every event of the shared stream, markers included. */
  live(event: OrderEvent): void;
  fail(error: unknown): void;
}

interface AccountTopic {
  /** Recent order events, oldest first: every event with a sequence above `floor`. */
  readonly ring: OrderEvent[];
  /** Null until the shared stream's first message (the head it started at). */
  floor: bigint | null;
  readonly ready: Promise<void>;
  readonly subscribers: Set<Subscriber>;
  leave: () => void;
}

const unavailable = () =>
  gatewayError('UPSTREAM_UNAVAILABLE', "The trading service's order events are unavailable.", {
    source: 'trading',
  });

/** Creates the order-event feed of one source instance. */
export function createOrderEventFeed(
  client: TradingClient,
  { observer, blocked, capacity = 1000, retain = 1024 }: OrderEventFeedOptions = {},
): OrderEventFeed {
  const topics = new Map<string, AccountTopic>();
  const hub = createTopicHub<OrderEvent>({
    name: 'trading.orders',
    open: (accountId, last, signal) =>
      client.streamOrderEvents(accountId, last ? { afterSequence: last.sequence } : 'head', signal),
    blocked,
    isPermanent: (err) => isUpstreamError(err) && isClientFault(err.code),
    unavailable,
    refused: unavailable,
    observer,
  });

  function topicOf(accountId: string): AccountTopic {
    const existing = topics.get(accountId);
    if (existing) return existing;
    let markReady!: () => void;
    let markFailed!: (error: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {}); // awaited by subscribers; an unawaited failure is not unhandled
    const topic: AccountTopic = { ring: [], floor: null, ready, subscribers: new Set(), leave: () => {} };
    topics.set(accountId, topic);
    topic.leave = hub.join(accountId, {
      next(event) {
        if (topic.floor === null) {
          topic.floor = BigInt(event.sequence);
          markReady();
        }
        if (event.order) {
          topic.ring.push(event);
          if (topic.ring.length > retain) topic.floor = BigInt(topic.ring.shift()!.sequence);
        }
        for (const subscriber of topic.subscribers) subscriber.live(event);
      },
      error(error) {
        if (topics.get(accountId) === topic) topics.delete(accountId);
        markFailed(error);
        for (const subscriber of [...topic.subscribers]) subscriber.fail(error);
      },
    });
    return topic;
  }

  return {
    subscribe(accountId, after) {
      const topic = topicOf(accountId);
      const catchUp = new AbortController();
      const queue = createSubscriberQueue<OrderUpdate>({
        capacity,
        overflow: () =>
          gatewayError(
            'SLOW_CONSUMER',
            `This subscriber fell more than ${capacity} order events behind: subscribe again with after set to the last cursor received.`,
          ),
        onClose() {
          catchUp.abort();
          topic.subscribers.delete(subscriber);
          if (topic.subscribers.size === 0) {
            if (topics.get(accountId) === topic) topics.delete(accountId);
            topic.leave();
          }
        },
      });
      let delivered = after ?? -1n;
      let caughtUp = false;
      const waiting: OrderEvent[] = [];
      const deliver = (event: OrderEvent) => {
        const sequence = BigInt(event.sequence);
        if (!event.order || sequence <= delivered) return;
        delivered = sequence;
        queue.push({ cursor: event.sequence, order: event.order });
      };
      const subscriber: Subscriber = {
        live(event) {
          if (caughtUp) deliver(event);
          else if (event.order) {
            waiting.push(event);
            if (waiting.length > capacity) queue.fail(unavailable());
          }
        },
        fail: (error) => queue.fail(error),
      };
      topic.subscribers.add(subscriber);

      const start = async () => {
        await topic.ready;
        if (after !== null && after < topic.floor!) {
          // Older than the ring: the upstream replays it on a stream of this subscriber's own.
          for await (const event of client.streamOrderEvents(
            accountId,
            { afterSequence: String(after) },
            catchUp.signal,
          )) {
            if (event.order) deliver(event);
            else if (BigInt(event.sequence) >= topic.floor!) break;
          }
          catchUp.abort();
        }
        // The ring covers everything after `delivered` now; then what arrived meanwhile, then live.
        if (after !== null) for (const event of topic.ring) deliver(event);
        for (const event of waiting.splice(0)) deliver(event);
        caughtUp = true;
      };
      start().catch((error: unknown) => {
        if (queue.closed || catchUp.signal.aborted) return;
        queue.fail(isUpstreamError(error) ? unavailable() : error);
      });
      return queue;
    },
    close() {
      hub.close();
      topics.clear();
    },
  };
}
