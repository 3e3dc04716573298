/**
 * Metrics of live data (subscriptions), in the gateway instance's registry: what is open, what was
 * delivered or conflated, why subscriptions ended, and how the shared upstream feeds behave. Field
 * labels are schema coordinates of subscription roots and hub names come from the sources: bounded.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TopicHubObserver } from '../streams/topic-hub.js';

/** Why a subscription ended, as a label. */
export type SubscriptionEnd =
  /** The stream completed (the upstream ended the topic). */
  | 'complete'
  /** The client unsubscribed or disconnected. */
  | 'client'
  /** Its API key was revoked (KEY_REVOKED). */
  | 'revoked'
  /** Its credential expired: a key past its Sunset, a JWT past `exp`. */
  | 'expired'
  /** The subscriber fell too far behind a feed that never drops (SLOW_CONSUMER). */
  | 'slow_consumer'
  /** The source stayed down (UPSTREAM_UNAVAILABLE) or refused the topic. */
  | 'upstream'
  /** The instance is shutting down (RECONNECT). */
  | 'shutdown'
  /** Anything else (an internal error, masked). */
  | 'error';

export interface StreamMetrics extends TopicHubObserver {
  readonly active: Gauge<'field'>;
  readonly delivered: Counter<'field'>;
  readonly ended: Counter<'field' | 'reason'>;
  readonly conflated: Counter<'hub'>;
  readonly feeds: Gauge<'hub'>;
  readonly feedReconnects: Counter<'hub'>;
  /** Counts one event replaced in a conflating subscriber queue of `hub`. */
  countConflated(hub: string): void;
}

/** Registers the stream families in `registry`. */
export function createStreamMetrics(registry: Registry): StreamMetrics {
  const registers = [registry];
  const active = new Gauge({
    name: 'switchyard_subscriptions_active',
    help: 'Open subscriptions on this instance by root field (schema coordinate).',
    labelNames: ['field'] as const,
    registers,
  });
  const delivered = new Counter({
    name: 'switchyard_subscription_messages_total',
    help: 'Subscription events delivered to clients by root field.',
    labelNames: ['field'] as const,
    registers,
  });
  const ended = new Counter({
    name: 'switchyard_subscriptions_ended_total',
    help: 'Ended subscriptions by root field and reason (client, complete, revoked, expired, slow_consumer, upstream, shutdown, error).',
    labelNames: ['field', 'reason'] as const,
    registers,
  });
  const conflated = new Counter({
    name: 'switchyard_subscription_conflated_total',
    help: 'Events replaced by a newer one for a slow subscriber (latest value wins), by feed.',
    labelNames: ['hub'] as const,
    registers,
  });
  const feeds = new Gauge({
    name: 'switchyard_upstream_feeds',
    help: 'Upstream feeds open (one per topic per instance, shared by its subscribers), by feed.',
    labelNames: ['hub'] as const,
    registers,
  });
  const feedReconnects = new Counter({
    name: 'switchyard_upstream_feed_reconnects_total',
    help: 'Reconnects of dropped upstream feeds, by feed.',
    labelNames: ['hub'] as const,
    registers,
  });
  return {
    active,
    delivered,
    ended,
    conflated,
    feeds,
    feedReconnects,
    countConflated: (hub) => conflated.inc({ hub }),
    feedOpened: (hub) => feeds.inc({ hub }),
    feedClosed: (hub) => feeds.dec({ hub }),
    feedReconnecting: (hub) => feedReconnects.inc({ hub }),
  };
}
