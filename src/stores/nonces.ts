/** Signature nonces, each accepted once per key within its time to live. */
import type { NonceStore } from '../signing/nonce-store.js';
import type { RedisStoreOptions } from './types.js';

/** Nonces with expiry, purged as the map grows (one instance). */
export function createMemoryNonceStore(now: () => number = Date.now): NonceStore {
  const seen = new Map<string, number>();
  let nextPurge = 0;
  return {
    async claim(keyId, nonce, ttlSeconds) {
      const at = now();
      if (at >= nextPurge) {
        for (const [entry, expiresAt] of seen) if (expiresAt <= at) seen.delete(entry);
        nextPurge = at + 1000;
      }
      const entry = `${keyId}\n${nonce}`;
      const expiresAt = seen.get(entry);
      if (expiresAt !== undefined && expiresAt > at) return false;
      seen.set(entry, at + ttlSeconds * 1000);
      return true;
    },
  };
}

/** `<prefix>nonce:<keyId>:<nonce>` by SET NX with expiry: atomic across every instance sharing the Redis. */
export function createRedisNonceStore({ redis, prefix }: RedisStoreOptions): NonceStore {
  return {
    async claim(keyId, nonce, ttlSeconds) {
      return (await redis.set(`${prefix}nonce:${keyId}:${nonce}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}
