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

/**
 * `<prefix>nonce:<keyId>:<nonce>` by SET NX with expiry: atomic across every instance sharing the
 * Redis. One command on one key, so no hash tag: on a Cluster each nonce lands in the slot of its
 * own name, which spreads one busy key's nonces over every master (a lost master refuses the
 * mutations whose nonce hashes to it, and only those). The name is the single-node one, kept: a
 * rename would let a nonce accepted under the old name be accepted again under the new one by an
 * upgraded instance during a rolling upgrade.
 *
 * Replication is asynchronous (Redis, Sentinel and Cluster alike): a nonce its master acknowledged
 * but had not yet sent to a replica when it was lost (a crash: microseconds on an idle machine, but
 * nonces acknowledged up to ~0.5 s before a master hung were seen lost on a loaded one; a partition
 * isolating the master: up to the node timeout) is unknown to the promoted replica, and the request
 * could be accepted again within its signature's max age. WAIT 1 after the claim would narrow that,
 * but it blocks the one connection every other command to that master shares (for the full timeout
 * while the master has no replica); the trading upstream's clientOrderId idempotency is the second
 * line for orders.
 */
export function createRedisNonceStore({ redis, prefix }: RedisStoreOptions): NonceStore {
  return {
    async claim(keyId, nonce, ttlSeconds) {
      return (await redis.set(`${prefix}nonce:${keyId}:${nonce}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}
