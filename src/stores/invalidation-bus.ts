/**
 * Key invalidations pushed to every instance. Redis: pub/sub on `<prefix>key-invalidations`.
 * Memory: delivery within the process, so one interface serves both and the key service always
 * has a bus (no "no bus" branch to test separately).
 */
import type { InvalidationBus } from '../keys/stores.js';
import { onEnd, subscriberOf } from './redis-client.js';
import type { RedisStoreOptions } from './types.js';

/** What memory buses share: a key id one publishes reaches every bus made on the same hub. */
export type MemoryInvalidationHub = Set<(keyId: string) => void>;

/**
 * In-process delivery. A process needs no hub of its own (the default is private to the bus);
 * buses made on one hub behave like instances sharing a Redis, as the contract suite checks.
 */
export function createMemoryInvalidationBus(hub: MemoryInvalidationHub = new Set()): InvalidationBus {
  const handlers: ((keyId: string) => void)[] = [];
  const deliver = (keyId: string) => {
    for (const handler of handlers) handler(keyId);
  };
  hub.add(deliver);
  return {
    async publish(keyId) {
      for (const bus of [...hub]) bus(keyId);
    },
    subscribe(onKey) {
      handlers.push(onKey);
    },
    async close() {
      hub.delete(deliver);
    },
  };
}

/**
 * Redis pub/sub, subscribed on a connection of its own (a subscriber cannot send commands). On a
 * Redis Cluster, PUBLISH (sent to any master) is broadcast over the cluster bus to every node, so
 * each instance's subscriber hears it on whichever node it is connected to; ioredis moves that
 * subscription to another node when its node is lost. A channel is not a key: no slot, no tag. A
 * message published while an instance's subscriber is moving is lost to that instance; the key
 * cache lifetime (1 s, src/keys/service.ts cacheTtlMs) bounds what it misses.
 */
export function createRedisInvalidationBus({ redis, prefix }: RedisStoreOptions): InvalidationBus {
  const channel = `${prefix}key-invalidations`;
  const subscriber = subscriberOf(redis);
  const handlers: ((keyId: string) => void)[] = [];
  subscriber.on('message', (from: string, keyId: string) => {
    if (from === channel) for (const handler of handlers) handler(keyId);
  });
  subscriber.on('error', () => {}); // the main connection reports Redis errors; this one retries quietly
  void subscriber.subscribe(channel).catch(() => {});
  let closing = false;
  // Subscribed again when it connects again (ioredis resubscribes on reconnect).
  onEnd(subscriber, () => closing);
  return {
    async publish(keyId) {
      await redis.publish(channel, keyId);
    },
    subscribe(onKey) {
      handlers.push(onKey);
    },
    async close() {
      closing = true;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
