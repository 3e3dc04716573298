/**
 * A feed of values per id where only the latest matters (a token's price, its signal): one upstream
 * stream per id per instance (a topic hub), and a conflating queue per subscriber, so a slow
 * subscriber gets the latest value of each id it follows and never a growing backlog.
 */
import { gatewayError } from '../errors.js';
import type { StreamObserver } from '../gateway/source.js';
import { isClientFault } from '../upstream/error-class.js';
import { isUpstreamError } from '../upstream/errors.js';
import type { SubscriberQueue } from './subscriber-queue.js';
import { createTopicHub } from './topic-hub.js';

export interface LatestValueFeedOptions<T> {
  /** Feed name in metrics and logs (`market.prices`). */
  name: string;
  /** Source name, for the messages clients see (`market`). */
  source: string;
  /** Opens the upstream stream of one id. */
  open(id: string, signal: AbortSignal): AsyncIterable<T>;
  /** Whether the source's breaker is open: no stream is attempted meanwhile. */
  blocked?: () => boolean;
  /** The id a value belongs to (the conflation key). */
  idOf(value: T): string;
  observer?: StreamObserver | undefined;
}

export interface LatestValueFeed<T> {
  /** A subscriber of `ids` (distinct, validated by the caller). */
  subscribe(ids: readonly string[]): SubscriberQueue<T>;
  /** Upstream streams open (one per followed id). */
  readonly feeds: number;
  close(): void;
}

export function createLatestValueFeed<T>({
  name,
  source,
  open,
  blocked,
  idOf,
  observer,
}: LatestValueFeedOptions<T>): LatestValueFeed<T> {
  const hub = createTopicHub<T>({
    name,
    open: (id, _last, signal) => open(id, signal),
    blocked,
    // The upstream refused the request itself (an id it does not know): reconnecting cannot help.
    isPermanent: (err) => isUpstreamError(err) && isClientFault(err.code),
    refused: () =>
      gatewayError('BAD_USER_INPUT', `The ${source} service refused one of the ids followed.`, {
        argument: 'tokenIds',
      }),
    unavailable: () =>
      gatewayError('UPSTREAM_UNAVAILABLE', `The ${source} service's live feed is unavailable.`, { source }),
    observer,
  });
  return {
    subscribe: (ids) =>
      hub.subscribe(ids, {
        keyOf: idOf,
        capacity: ids.length,
        onConflated: () => observer?.countConflated?.(name),
      }),
    get feeds() {
      return hub.feeds;
    },
    close: () => hub.close(),
  };
}
