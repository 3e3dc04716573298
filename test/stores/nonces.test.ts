/** One contract for every NonceStore (memory and Redis): a nonce is accepted once per key within its TTL. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NonceStore } from '../../src/signing/nonce-store.js';
import { createMemoryNonceStore, createRedisNonceStore } from '../../src/stores/index.js';
import { freshPrefix, useStoreRedis } from './redis-client.js';

function contract(name: string, make: () => NonceStore, available = true) {
  describe.skipIf(!available)(`${name} nonce store`, () => {
    it('accepts a nonce once per key, and the same nonce for another key', async () => {
      const nonces = make();
      const nonce = randomUUID();
      expect(await nonces.claim('key-a', nonce, 30)).toBe(true);
      expect(await nonces.claim('key-a', nonce, 30)).toBe(false);
      expect(await nonces.claim('key-b', nonce, 30)).toBe(true);
    });

    it('accepts exactly one of many concurrent claims of one nonce', async () => {
      const nonces = make();
      const nonce = randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, () => nonces.claim('key-c', nonce, 30)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a nonce after its time to live', async () => {
      const nonces = make();
      const nonce = randomUUID();
      expect(await nonces.claim('key-d', nonce, 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await nonces.claim('key-d', nonce, 1)).toBe(true);
    });
  });
}

contract('memory', () => createMemoryNonceStore());

const redis = await useStoreRedis();
contract('redis', () => createRedisNonceStore({ redis: redis!, prefix: freshPrefix() }), redis !== undefined);

describe('redis nonce store', () => {
  it.skipIf(!redis)('rejects a replay seen by another instance sharing the Redis and prefix', async () => {
    const prefix = freshPrefix();
    const nonce = randomUUID();
    expect(await createRedisNonceStore({ redis: redis!, prefix }).claim('key-e', nonce, 30)).toBe(true);
    expect(await createRedisNonceStore({ redis: redis!, prefix }).claim('key-e', nonce, 30)).toBe(false);
    // Another deployment (prefix) has nonces of its own.
    expect(
      await createRedisNonceStore({ redis: redis!, prefix: freshPrefix() }).claim('key-e', nonce, 30),
    ).toBe(true);
  });
});
