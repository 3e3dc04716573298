/** createStores: one choice for the whole process, every store on the one Redis under the one prefix. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createStores } from '../../src/stores/index.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

const logger = pino({ level: 'silent' });
const redis = await useStoreRedis();

describe('createStores', () => {
  it('builds memory stores without a Redis, private to each call', async () => {
    const one = createStores({ redis: undefined, prefix: 'unused:', logger });
    const two = createStores({ redis: undefined, prefix: 'unused:', logger });
    expect(one.kind).toBe('memory');
    expect(await one.nonces.claim('k', 'n', 30)).toBe(true);
    expect(await two.nonces.claim('k', 'n', 30)).toBe(true);
    const received: string[] = [];
    one.invalidations.subscribe((keyId) => received.push(keyId));
    await two.invalidations.publish('k1');
    await one.invalidations.publish('k2');
    expect(received).toEqual(['k2']);
    await one.close();
    await two.close();
  });

  it.skipIf(!redis)('builds Redis stores that all write under the prefix', async () => {
    const prefix = freshPrefix();
    const stores = createStores({ redis: redis!, prefix, logger });
    try {
      expect(stores.kind).toBe('redis');
      await stores.nonces.claim('k', randomUUID(), 30);
      await stores.audit.append({ type: 'key.created', at: '2026-01-01T00:00:00.000Z' });
      await stores.rateLimits.consume(
        [{ owner: 'o', key: 'c', max: 1, windowMs: 60_000, weight: 1, kind: 'log' }],
        1,
      );
      await stores.persistedOperations.set('h', '{ a }', 60);
      await stores.responseCache.set('public|fp|h', { data: {} }, [], 60_000);
      const keys = await redis!.keys(`${prefix}*`);
      expect(keys.map((key) => key.slice(prefix.length).split(':')[0]).sort()).toEqual(
        ['apq', 'audit', 'nonce', 'rc', 'rc', 'rl'].sort(),
      );
      // A second process on the same Redis and prefix sees the first one's state.
      const other = createStores({ redis: redis!, prefix, logger });
      try {
        expect(await other.persistedOperations.get('h')).toBe('{ a }');
        const received: string[] = [];
        other.invalidations.subscribe((keyId) => received.push(keyId));
        await vi.waitFor(
          async () => {
            await stores.invalidations.publish('k1');
            expect(received).toContain('k1');
          },
          { timeout: 5000, interval: 50 },
        );
      } finally {
        await other.close();
      }
    } finally {
      await stores.close();
    }
  });

  it('reports a response cache bypass through onResponseCacheError', async () => {
    // Nothing listens on port 1; without an offline queue every command fails at once.
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    down.on('error', () => {});
    const onResponseCacheError = vi.fn();
    const stores = createStores({ redis: down, prefix: freshPrefix(), logger, onResponseCacheError });
    try {
      expect(await stores.responseCache.get('public|fp|h')).toBeUndefined();
      expect(onResponseCacheError).toHaveBeenCalledTimes(1);
    } finally {
      await stores.close();
      down.disconnect();
    }
  });
});
