/**
 * Key records as this instance sees them: read from the shared store and trusted for `cacheTtlMs`,
 * which bounds how long a revocation takes to reach an instance that missed its invalidation.
 * While the store is unreachable a recent record keeps serving for `staleTtlMs`; a key without one
 * is then refused with SERVICE_UNAVAILABLE, never accepted.
 */
import type { BlockList } from 'node:net';
import type { Logger } from 'pino';
import { parseCidrs } from '../auth/client-ip.js';
import { gatewayError } from '../errors.js';
import type { VerificationKey } from '../signing/verify.js';
import type { ApiKeyStore, InvalidationBus } from './stores.js';
import type { ApiKeyRecord } from './types.js';

/** A record as cached, with what is derived from it once. */
export interface CachedRecord {
  record: ApiKeyRecord;
  fetchedAt: number;
  cidrs: BlockList | null;
  /** Built on first use by a signature, kept as long as the record is cached. */
  verifier?: VerificationKey;
}

export interface KeyLookupOptions {
  store: ApiKeyStore;
  invalidations: InvalidationBus | undefined;
  log: Logger;
  now: () => number;
  cacheTtlMs: number;
  staleTtlMs: number;
}

export interface KeyLookup {
  /** The record of a key id (cached), null when unknown; SERVICE_UNAVAILABLE when it cannot be read. */
  lookup(keyId: string): Promise<CachedRecord | null>;
  /** Forgets keys here and tells every other instance to do the same. */
  invalidate(keyIds: readonly string[]): Promise<void>;
}

/** Entries beyond this are dropped oldest first: a flood of distinct key ids cannot grow the cache. */
const MAX_CACHED = 50_000;

/** The per-instance record cache, kept in step with other instances through the invalidation bus. */
export function createKeyLookup({
  store,
  invalidations,
  log,
  now,
  cacheTtlMs,
  staleTtlMs,
}: KeyLookupOptions): KeyLookup {
  const cache = new Map<string, CachedRecord>();
  invalidations?.subscribe((keyId) => cache.delete(keyId));
  return {
    async lookup(keyId) {
      const cached = cache.get(keyId);
      const at = now();
      if (cached && at - cached.fetchedAt < cacheTtlMs) return cached;
      let fresh: ApiKeyRecord | null;
      try {
        fresh = await store.get(keyId);
      } catch (err) {
        if (cached && at - cached.fetchedAt < staleTtlMs) {
          log.warn({ err, keyId }, 'key store unreachable: serving a recently cached record');
          return cached;
        }
        log.error({ err, keyId }, 'key store unreachable: refusing');
        throw gatewayError(
          'SERVICE_UNAVAILABLE',
          'Keys cannot be verified right now; retry shortly.',
          undefined,
          { http: true },
        );
      }
      if (!fresh) {
        cache.delete(keyId);
        return null;
      }
      const entry = {
        record: fresh,
        fetchedAt: at,
        cidrs: fresh.allowedCidrs ? parseCidrs(fresh.allowedCidrs) : null,
      };
      cache.set(keyId, entry);
      if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
      return entry;
    },
    async invalidate(keyIds) {
      for (const keyId of keyIds) cache.delete(keyId);
      if (!invalidations) return;
      try {
        await Promise.all(keyIds.map((keyId) => invalidations.publish(keyId)));
      } catch (err) {
        log.warn(
          { err, keys: keyIds.length },
          'could not push key invalidation; other instances catch up within the cache time',
        );
      }
    },
  };
}
