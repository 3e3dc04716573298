/**
 * Automatic persisted queries: sha256 hash → document text, shared by every instance through Redis
 * (a client registers a query on one instance and sends only its hash to the next), in memory
 * otherwise. Entries expire, so what anyone can register is bounded in time and size.
 */
import { createInFlight } from '../upstream/in-flight.js';
import type { RedisStoreOptions } from './types.js';

/** Registered documents by their sha256 (hex). */
export interface PersistedOperationStore {
  /** The document registered under the hash, null when unknown or expired. Throws when unreachable. */
  get(hash: string): Promise<string | null>;
  /** Registers (or refreshes) a document under its hash for `ttlSeconds`. Throws when unreachable. */
  set(hash: string, document: string, ttlSeconds: number): Promise<void>;
}

/**
 * A bounded map with expiry, least recently used out first (a Map keeps insertion order and every
 * hit re-inserts its entry); a hit does not extend the expiry, as in Redis.
 * @param maxEntries oldest entries are dropped beyond it (default 10 000: a few MiB of documents)
 */
export function createMemoryPersistedOperationStore(
  maxEntries = 10_000,
  now: () => number = Date.now,
): PersistedOperationStore {
  const entries = new Map<string, { document: string; expiresAt: number }>();
  return {
    async get(hash) {
      const entry = entries.get(hash);
      if (!entry) return null;
      entries.delete(hash);
      if (entry.expiresAt <= now()) return null;
      entries.set(hash, entry);
      return entry.document;
    },
    async set(hash, document, ttlSeconds) {
      entries.delete(hash);
      entries.set(hash, { document, expiresAt: now() + ttlSeconds * 1000 });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}

/**
 * `<prefix>apq:<hash>` strings with an expiry set at registration (re-registering refreshes it).
 * Single-key commands, no hash tag: on a Cluster, documents spread over the slots by hash.
 */
export function createRedisPersistedOperationStore({
  redis,
  prefix,
}: RedisStoreOptions): PersistedOperationStore {
  const key = (hash: string) => `${prefix}apq:${hash}`;
  // Concurrent lookups of one hash (a popular operation) share one GET.
  const reads = createInFlight(() => new Error('persisted operation read abandoned'));
  return {
    async get(hash) {
      // A hit does not extend the entry (no write per read): once it expires, the client's next
      // hash-only request is answered PersistedQueryNotFound and the client registers it again.
      return reads.run(hash, () => redis.get(key(hash)), undefined);
    },
    async set(hash, document, ttlSeconds) {
      await redis.set(key(hash), document, 'EX', ttlSeconds);
    },
  };
}
