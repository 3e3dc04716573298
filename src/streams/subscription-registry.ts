/**
 * The live subscriptions of one instance, so that what ends a credential ends its streams: a key
 * revoked on any instance (the key-change bus reaches every instance within a second) ends its
 * subscriptions here with KEY_REVOKED; a key past its expiry or Sunset, and a JWT past `exp`, end
 * at that moment; shutdown ends them all with RECONNECT.
 */
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { gatewayError } from '../errors.js';
import type { KeyService } from '../keys/service.js';
import { keyState } from '../keys/state.js';
import type { SubscriptionEnd } from '../telemetry/stream-metrics.js';

/** One open subscription, as the registry sees it. */
export interface LiveSubscription {
  readonly principal: Principal | null;
  /** Ends the subscription: the client receives `error` as its last message, then completion. */
  end(error: GraphQLError, reason: SubscriptionEnd): void;
}

export interface SubscriptionRegistryOptions {
  /** Key records and the key-change bus. */
  keys: Pick<KeyService, 'get' | 'onKeyChanged'>;
  log: Logger;
  /** @default Date.now */
  now?: () => number;
}

export interface SubscriptionRegistry {
  /** Registers an open subscription; returns the function that removes it. */
  add(subscription: LiveSubscription): () => void;
  /** Ends every open subscription (shutdown). */
  endAll(error: GraphQLError, reason: SubscriptionEnd): void;
  readonly size: number;
}

// setTimeout's longest delay; a later expiry re-arms when it fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Creates the registry and subscribes it to key changes. */
export function createSubscriptionRegistry({
  keys,
  log,
  now = Date.now,
}: SubscriptionRegistryOptions): SubscriptionRegistry {
  const live = new Set<LiveSubscription>();
  const byKey = new Map<string, Set<LiveSubscription>>();
  const timers = new Map<LiveSubscription, NodeJS.Timeout>();

  function expired(subscription: LiveSubscription): void {
    const viaKey = subscription.principal?.via === 'api-key';
    subscription.end(
      viaKey
        ? gatewayError('KEY_EXPIRED', 'This API key expired (or reached its Sunset): the subscription ended.')
        : gatewayError('UNAUTHENTICATED', 'The bearer token expired: the subscription ended.'),
      'expired',
    );
  }

  /** Ends the subscription at `at` (epoch ms); undefined: never. */
  function arm(subscription: LiveSubscription, at: number | undefined): void {
    clearTimeout(timers.get(subscription));
    timers.delete(subscription);
    if (at === undefined) return;
    const delay = at - now();
    if (delay <= 0) {
      expired(subscription);
      return;
    }
    const timer = setTimeout(
      () => {
        timers.delete(subscription);
        if (live.has(subscription)) arm(subscription, at);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    timers.set(subscription, timer);
  }

  async function recheck(keyId: string): Promise<void> {
    const subscriptions = byKey.get(keyId);
    if (!subscriptions?.size) return;
    let record: Awaited<ReturnType<typeof keys.get>>;
    try {
      record = await keys.get(keyId);
    } catch (err) {
      // The store is down: the revocation itself could not have been written; the cache TTL and the
      // next change event are the backstop.
      log.warn({ err, keyId }, 'could not re-read a changed key for its open subscriptions');
      return;
    }
    const state = record ? keyState(record, now()) : 'revoked';
    for (const subscription of [...subscriptions]) {
      if (state === 'revoked') {
        subscription.end(
          gatewayError('KEY_REVOKED', 'This API key was revoked: the subscription ended.'),
          'revoked',
        );
      } else {
        arm(subscription, record?.expiresAt ? Date.parse(record.expiresAt) : undefined);
      }
    }
  }

  keys.onKeyChanged((keyId) => void recheck(keyId));

  return {
    add(subscription) {
      live.add(subscription);
      const keyId = subscription.principal?.keyId;
      if (keyId) {
        const set = byKey.get(keyId) ?? new Set<LiveSubscription>();
        byKey.set(keyId, set);
        set.add(subscription);
      }
      arm(subscription, subscription.principal?.expiresAt);
      return () => {
        live.delete(subscription);
        clearTimeout(timers.get(subscription));
        timers.delete(subscription);
        if (!keyId) return;
        const set = byKey.get(keyId);
        set?.delete(subscription);
        if (set?.size === 0) byKey.delete(keyId);
      };
    },
    endAll(error, reason) {
      for (const subscription of [...live]) subscription.end(error, reason);
    },
    get size() {
      return live.size;
    },
  };
}
